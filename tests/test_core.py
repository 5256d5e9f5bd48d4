"""The maths core: network (eq. 1-2), targets (eq. 3, 4, 32), rules (eq. 5) and backprop."""
import numpy as np
import pytest

import gtp
from gtp.maths.targets import euler_target

ACTS = ["sigmoid", "relu", "paper"]


def net(sizes, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    W = [rng.normal(0, 1 / np.sqrt(a), (b, a)).astype(dtype) for a, b in zip(sizes[:-1], sizes[1:])]
    x = rng.random(sizes[0]).astype(dtype)
    return W, x


def cost(W, x, label, acts):
    return gtp.quadratic_cost(gtp.forward(W, x, acts)[1][-1], label)


# ---------------------------------------------------------------- activations
def test_sigmoid_overflow_safe_and_exact():
    z = np.array([-1000.0, -30, -1, 0, 1, 30, 1000])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = gtp.sigmoid(z)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    np.testing.assert_allclose(s[1:-1], 1 / (1 + np.exp(-z[1:-1])), rtol=1e-15)
    assert gtp.sigmoid(np.float32([3.0])).dtype == np.float32
    assert gtp.sigmoid_prime(np.array(0.0)) == 0.25


@pytest.mark.parametrize("name", ["sigmoid", "relu"])
def test_activation_derivatives_by_finite_differences(name):
    f, fp = gtp.get_activation(name)
    z = np.array([-3.0, -0.7, 0.4, 2.5])
    h = 1e-6
    np.testing.assert_allclose(fp(z), (f(z + h) - f(z - h)) / (2 * h), rtol=1e-8, atol=1e-10)


def test_paper_activations():
    assert gtp.resolve_activations("paper", 3) == ["relu", "sigmoid", "sigmoid"]
    assert gtp.resolve_activations("paper", 1) == ["sigmoid"]


# ---------------------------------------------------------------- forward
def test_forward_shapes_and_batch_consistency():
    W, _ = net([7, 5, 4, 3])
    X = np.random.default_rng(1).random((6, 7))
    zs, ys = gtp.forward(W, X, "paper")
    assert [y.shape for y in ys] == [(6, 7), (6, 5), (6, 4), (6, 3)]
    for i in range(6):
        _, ys1 = gtp.forward(W, X[i], "paper")
        for a, b in zip(ys1, ys):
            np.testing.assert_allclose(a, b[i], rtol=1e-14)
    np.testing.assert_allclose(ys[1], np.maximum(zs[1], 0))


def test_float32_is_kept():
    W, x = net([6, 4, 3], dtype=np.float32)
    zs, ys = gtp.forward(W, x, "paper")
    assert all(y.dtype == np.float32 for y in ys)
    assert all(d.dtype == np.float32 for d in gtp.gtp_updates(W, x, 1, tau=1.0, eta=0.1))


# ---------------------------------------------------------------- backprop
@pytest.mark.parametrize("sizes", [[5, 3], [6, 4, 3], [7, 5, 4, 3], [6, 5, 5, 4, 3, 2]])
@pytest.mark.parametrize("acts", ACTS)
def test_backprop_matches_finite_differences(sizes, acts):
    W, x = net(sizes, seed=len(sizes))
    label = 1
    grads = gtp.backprop_gradients(W, x, label, acts)
    h = 1e-6
    for l, w in enumerate(W):
        num = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            old = w[idx]
            w[idx] = old + h
            cp = cost(W, x, label, acts)
            w[idx] = old - h
            cm = cost(W, x, label, acts)
            w[idx] = old
            num[idx] = (cp - cm) / (2 * h)
        np.testing.assert_allclose(grads[l], num, rtol=1e-5, atol=1e-9)


def test_batch_gradient_is_mean_of_examples():
    W, _ = net([6, 4, 3])
    X = np.random.default_rng(3).random((5, 6))
    y = np.array([0, 1, 2, 1, 0])
    g = gtp.backprop_gradients(W, X, y, "paper")
    singles = [gtp.backprop_gradients(W, X[i], y[i], "paper") for i in range(5)]
    for l in range(2):
        np.testing.assert_allclose(g[l], np.mean([s[l] for s in singles], axis=0), rtol=1e-12)
    d = gtp.gtp_updates(W, X, y, tau=3.0, eta=0.1, steps=2, acts="paper")
    ds = [gtp.gtp_updates(W, X[i], y[i], tau=3.0, eta=0.1, steps=2, acts="paper") for i in range(5)]
    for l in range(2):
        np.testing.assert_allclose(d[l], np.mean([s[l] for s in ds], axis=0), rtol=1e-12)


# ---------------------------------------------------------------- GTP vs backprop
@pytest.mark.parametrize("start", ["zero", "activation"])
@pytest.mark.parametrize("acts", ACTS)
def test_output_layer_update_equals_backprop(start, acts):
    W, x = net([6, 5, 4, 3])
    d = gtp.gtp_updates(W, x, 2, tau=7.0, eta=0.3, steps=3, start=start, acts=acts)
    b = gtp.backprop_updates(W, x, 2, eta=0.3, acts=acts)
    np.testing.assert_allclose(d[-1], b[-1], rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("acts", ["sigmoid", "paper"])
def test_zero_start_one_step_is_backprop_minus_hebbian(acts):
    """eq. 14 (signs derived in the book): dW_{L-2} = eta tau (one-layer backprop) - eta y f'(z) y_prev^T."""
    W, x = net([6, 5, 4, 3], seed=4)
    tau, eta, label = 3.0, 0.2, 0
    names = gtp.resolve_activations(acts, 3)
    zs, ys = gtp.forward(W, x, acts)
    d = gtp.gtp_updates(W, x, label, tau=tau, eta=eta, steps=1, start="zero", acts=acts)
    fp2 = gtp.get_activation(names[1])[1](zs[2])
    g_top = -gtp.local_cost_grad(W[2], ys[2], gtp.one_hot(label, 3), names[2])  # -dC_L/dy_{L-1}
    backprop_term = eta * tau * np.outer(g_top * fp2, ys[1])
    hebbian = eta * np.outer(ys[2] * fp2, ys[1])
    np.testing.assert_allclose(d[1], backprop_term - hebbian, rtol=0, atol=1e-12)
    # and backprop_term is tau times backprop's own update of W[1]
    b = gtp.backprop_updates(W, x, label, eta=eta, acts=acts)
    np.testing.assert_allclose(backprop_term, tau * b[1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("acts", ["sigmoid", "paper"])
def test_activation_start_one_step_is_tau_times_backprop(acts):
    W, x = net([6, 5, 4, 3], seed=5)
    tau, eta = 2.5, 0.1
    d = gtp.gtp_updates(W, x, 1, tau=tau, eta=eta, steps=1, start="activation", acts=acts)
    b = gtp.backprop_updates(W, x, 1, eta=eta, acts=acts)
    np.testing.assert_allclose(d[1], tau * b[1], rtol=1e-12, atol=1e-15)


def test_activation_start_one_step_is_backprop_with_layer_rates():
    """With one Euler step from the forward activation, the gradient is evaluated where
    f(W_l y_l) = y_{l+1}, so yhat_l - y_l = tau^(L-l) (-dC/dy_l): every layer gets
    backprop's update scaled by a power of tau (cosine exactly 1)."""
    W, x = net([8, 6, 5, 4, 3], seed=11)
    tau = 1.7
    d = gtp.gtp_updates(W, x, 2, tau=tau, eta=0.1, start="activation", acts="paper")
    b = gtp.backprop_updates(W, x, 2, eta=0.1, acts="paper")
    for l in range(4):
        np.testing.assert_allclose(d[l], tau ** (3 - l) * b[l], rtol=1e-11, atol=1e-16)


def test_deeper_layer_cosine_with_backprop_fixed_seed():
    """With several steps, or the zero start, deeper layers leave backprop's direction;
    on this fixed network the cosines are pinned (and the top hidden layer stays aligned)."""
    W, x = net([8, 6, 5, 3], seed=11)
    b = gtp.backprop_updates(W, x, 2, eta=0.1)
    def cos(a, c):
        return float(np.sum(a * c) / np.linalg.norm(a) / np.linalg.norm(c))
    d5 = gtp.gtp_updates(W, x, 2, tau=0.5, eta=0.1, steps=5, start="activation")
    dz = gtp.gtp_updates(W, x, 2, tau=0.5, eta=0.1, steps=1, start="zero")
    c5, cz = cos(d5[0], b[0]), cos(dz[0], b[0])
    # pinned (numpy's default_rng streams are stable): a change of the targets moves them
    np.testing.assert_allclose([c5, cz, cos(d5[1], b[1]), cos(dz[1], b[1])],
                               [0.9996125886104903, 0.36891273878093883, 0.9998036651495568,
                                -0.10204413176703568], rtol=1e-9)
    assert c5 < 1 - 1e-9 and cz < 0.9          # not backprop; the Hebbian term dominates for a small tau


def test_per_layer_tau_and_eta():
    W, x = net([6, 5, 4, 3], seed=6)
    d = gtp.gtp_updates(W, x, 1, tau=[1.0, 2.0], eta=[0.1, 0.2, 0.3])
    d0 = gtp.gtp_updates(W, x, 1, tau=[1.0, 2.0], eta=1.0)
    for l, e in enumerate([0.1, 0.2, 0.3]):
        np.testing.assert_allclose(d[l], e * d0[l], rtol=1e-14)
    zs, ys = gtp.forward(W, x)
    yh = gtp.targets(W, zs, ys, 1, tau=[1.0, 2.0])
    np.testing.assert_allclose(yh[2], euler_target(W[2], ys[2], yh[3], tau=2.0))
    np.testing.assert_allclose(yh[1], euler_target(W[1], ys[1], yh[2], tau=1.0))


# ---------------------------------------------------------------- target dynamics
def two_neuron(w, y_label):
    """Network of two neurons: y1 -> y2 = sigmoid(w y1); minimiser of the local cost."""
    W = [np.array([[1.0]]), np.array([[w]])]
    y_star = np.log(y_label / (1 - y_label)) / w
    return W, y_star


def stability_limit(w, y_star):
    """Explicit Euler on C(y) is stable for tau < 2 / C''(y*); at the minimiser
    C'' = w^2 f'(w y*)^2 (the residual term vanishes)."""
    s = 1 / (1 + np.exp(-w * y_star))
    return 2 / (w * s * (1 - s)) ** 2


@pytest.mark.parametrize("start", ["zero", "activation"])
def test_two_neuron_targets_converge_below_stability_limit(start):
    W, y_star = two_neuron(2.0, 0.7)
    tau_max = stability_limit(2.0, y_star)
    y0 = np.array([0.1])
    target = np.array([0.7])
    errs = [abs(euler_target(W[1], y0, target, tau=0.1 * tau_max, steps=T, start=start)[0] - y_star)
            for T in (10, 50, 400)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-10
    path = euler_target(W[1], y0, target, tau=0.1 * tau_max, steps=400, start=start, trajectory=True)
    costs = [gtp.local_cost(W[1], p, target)[()] for p in path[1:]]
    assert costs[-1] < 1e-20


def test_two_neuron_targets_oscillate_above_stability_limit():
    W, y_star = two_neuron(2.0, 0.7)
    tau_max = stability_limit(2.0, y_star)
    target = np.array([0.7])
    start = np.array([y_star + 1e-3])          # start near the minimiser: linear regime
    below = euler_target(W[1], start, target, tau=0.9 * tau_max, steps=60, start="activation", trajectory=True)
    above = euler_target(W[1], start, target, tau=1.1 * tau_max, steps=60, start="activation", trajectory=True)
    e_below = np.array([p[0] - y_star for p in below])
    e_above = np.array([p[0] - y_star for p in above])
    assert abs(e_below[-1]) < 1e-5 * abs(e_below[0])
    assert np.all(np.sign(e_above[1:]) != np.sign(e_above[:-1]))   # overshoots every step
    assert abs(e_above[-1]) > abs(e_above[0])                       # and does not settle


def test_zero_start_one_step_is_minus_tau_gradient():
    W, x = net([5, 4, 3], seed=2)
    zs, ys = gtp.forward(W, x)
    yh = gtp.targets(W, zs, ys, 0, tau=3.0, steps=1, start="zero")
    np.testing.assert_allclose(yh[1], -3.0 * gtp.local_cost_grad(W[1], ys[1], gtp.one_hot(0, 3)),
                               rtol=1e-15)


def test_local_cost_gradient_by_finite_differences():
    W, x = net([5, 4, 3], seed=9)
    y = np.random.default_rng(0).random(4)
    t = np.array([0.2, 0.9, 0.1])
    g = gtp.local_cost_grad(W[1], y, t)
    h = 1e-6
    num = [(gtp.local_cost(W[1], y + h * e, t) - gtp.local_cost(W[1], y - h * e, t)) / (2 * h)
           for e in np.eye(4)]
    np.testing.assert_allclose(g, num, rtol=1e-7, atol=1e-11)


# ---------------------------------------------------------------- learning works
@pytest.mark.parametrize("rule", ["gtp-zero", "gtp-activation", "backprop"])
def test_rules_learn_a_separable_problem(rule):
    rng = np.random.default_rng(0)
    X = rng.random((400, 10))
    y = (X[:, :5].sum(1) > X[:, 5:].sum(1)).astype(int)
    W = gtp.init_weights([10, 16, 2], "paper", rng=1)
    for epoch in range(15):
        for i in rng.permutation(400):
            if rule == "backprop":
                gtp.backprop_step(W, X[i], y[i], eta=0.5)
            else:
                gtp.gtp_step(W, X[i], y[i], tau=2.0, eta=0.5, start=rule.split("-")[1])
    assert gtp.accuracy(W, X, y) > 0.9


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, match", [
    (dict(acts="tanh"), "unknown activation 'tanh'.*relu.*sigmoid"),
    (dict(acts=["sigmoid"]), "activations: got 1 names"),
    (dict(tau=0.0), "tau: must be a finite number > 0"),
    (dict(tau=-1.0), "tau: must be"),
    (dict(eta=0.0), "eta: must be a finite number > 0"),
    (dict(eta=[0.1, 0.1]), "eta: expected one scalar or 3 per-layer values"),
    (dict(tau=[1.0]), "tau: expected one scalar or 2 per-layer values"),
    (dict(tau=1e30), r"tau: 1e\+30 is above the cap 1e\+06.*paper's order"),
    (dict(tau=[1.0, 2e6]), r"tau: 2e\+06 \(hidden layer 2\) is above the cap"),
    (dict(tau=1e6, eta=1e27), r"eta: the gain of W\[0\]'s update.*1e\+39.*smaller eta or tau"),
    (dict(steps=0), "steps: expected an integer >= 1"),
    (dict(steps=1.5), "steps: expected an integer >= 1"),
    (dict(start="random"), "start: expected one of .*zero.*activation"),
    (dict(label=3), r"label: class indices must lie in 0\.\.2"),
    (dict(label=-1), r"label: class indices must lie in 0\.\.2"),
    (dict(label=1.0), "label: expected integer class indices"),
    (dict(x=np.ones(4)), r"x: expected shape \(6,\)"),
    (dict(x=np.array([np.nan] + [0.0] * 5)), "x: contains NaN"),
])
def test_bad_input_raises_clear_value_error(kwargs, match):
    W, x = net([6, 5, 4, 3])
    args = dict(x=x, label=1, tau=1.0, eta=0.1, steps=1, start="zero", acts="sigmoid")
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        gtp.gtp_updates(W, args["x"], args["label"], args["tau"], args["eta"], args["steps"],
                        args["start"], args["acts"])


def test_bad_weight_shapes():
    with pytest.raises(ValueError, match=r"W\[1\]: shape \(3, 5\) does not chain"):
        gtp.forward([np.ones((4, 6)), np.ones((3, 5))], np.ones(6))
    with pytest.raises(ValueError, match="W: expected a non-empty list"):
        gtp.forward([], np.ones(6))


def test_divergence_raises_and_leaves_weights_unchanged():
    W, x = net([6, 5, 4, 3])
    W[0] *= 1e150                          # relu activations of ~1e150: finite targets, but a
    before = [w.copy() for w in W]         # huge eta makes eta d_l y_l^T overflow (tau stays 1)
    with pytest.raises(gtp.DivergenceError, match=r"W\[\d\].*smaller tau or eta"):
        with np.errstate(all="ignore"):
            gtp.gtp_step(W, x, 1, tau=1.0, eta=1e30, acts="relu")
    for a, b in zip(W, before):
        np.testing.assert_array_equal(a, b)


def test_divergent_targets_name_the_layer():
    W, x = net([6, 5, 4, 3])
    W[-1] *= 1e300                         # a relu output of ~1e300: tau W^T e overflows at tau 1
    with np.errstate(all="ignore"):
        zs, ys = gtp.forward(W, x, "relu")
        assert all(np.isfinite(y).all() for y in ys)
    with pytest.raises(gtp.DivergenceError, match=r"hidden layer 2.*smaller tau"):
        with np.errstate(all="ignore"):
            gtp.targets(W, zs, ys, 1, tau=1.0, steps=3, acts="relu")
