"""More self-checking exercises, for the chapters' exercises and the graded assignments.

The same machinery as :mod:`gtp.book.exercises` (random cases from a fixed seed, answers
from ``gtp``'s own implementation, mistakes named in words, never the expected values, and
a submission that only calls ``gtp``'s implementation fails):

=============================  ============================================  ===============
checker                        the reader writes                             paper
=============================  ============================================  ===============
``check_sigmoid``              ``sigmoid(z)``, finite for any z              eq. 2
``check_forward``              ``forward(W, x)``, the activations y_0..y_L   eq. 1
``check_local_cost``           ``local_cost(w, y, yhat_next)``, C_{l+1}      eq. 4
``check_targets``              ``targets(W, zs, ys, label, tau)``            Alg. 1
``check_backprop_deltas``      ``backprop_deltas(W, zs, ys, label)``         backprop
``check_one_hot``              ``one_hot(label, n_out)``                     section 3.1
``check_quadratic_cost``       ``quadratic_cost(yL, label)``                 eq. 4, output
``check_accuracy``             ``accuracy(W, X, labels)``                    section 4
``check_relu_prime``           ``relu_prime(z)``                             section 4
``check_uncertainty``          ``uncertainty(y)``, U(y)                      eq. 7-8
``check_preactivation_var``    ``preactivation_var(n, var_w, mean_y, var_y)``  eq. 23-25
``check_weight_var``           ``weight_var(n, mean_in, var_in, var_out)``   eq. 6
``check_dfa_delta``            ``dfa_delta(B, e, z)``, direct FA             Nokland 2016
``check_angle``                ``angle(a, b)`` in degrees                    relatives
``check_dtp_target``           ``dtp_target(y, y_next, yhat_next, g)``       Lee et al. 2015
=============================  ============================================  ===============

Used by the graded assignments (``book/assignments/``).
"""
import numpy as np

from ..maths.activations import relu_prime, sigmoid, sigmoid_prime
from ..maths.initialisation import preactivation_var, uncertainty, weight_var
from ..maths.network import accuracy, forward, one_hot, quadratic_cost
from ..maths.relatives_maths import angle, dfa_deltas, propagate_targets
from ..maths.targets import local_cost, targets
from ..maths.updates import backprop_deltas
from .exercises import SEED, _call, _compare, _Mistake, _run

__all__ = ["check_sigmoid", "check_forward", "check_local_cost", "check_targets",
           "check_backprop_deltas", "check_one_hot", "check_quadratic_cost", "check_accuracy",
           "check_relu_prime", "check_uncertainty", "check_preactivation_var",
           "check_weight_var", "check_dfa_delta", "check_angle", "check_dtp_target"]


def _net(rng, sizes, scale=1.0):
    W = [rng.normal(0, scale, (sizes[l + 1], sizes[l])) for l in range(len(sizes) - 1)]
    x, label = rng.uniform(0, 1, sizes[0]), int(rng.integers(sizes[-1]))
    return W, x, label


def _name(sizes):
    return "-".join(map(str, sizes))


def _scalar(fn, args, want, where, mistakes=(), forbidden=()):
    """Compare a number returned by the reader with ``want``; ``mistakes`` as in _compare,
    ``forbidden`` as in _call."""
    got = _call(fn, args, where, forbidden=forbidden)
    if got.shape != ():
        raise _Mistake(f"{where}: your function returned an array of shape {got.shape}; it "
                       f"should return one number.")
    _compare(got, np.asarray(want, dtype=float), [(np.asarray(v, float), m) for v, m in mistakes],
             "", where)


def _layers(got, want, where, what):
    """The reader's list of per-layer arrays ``got`` against ``want``."""
    if len(got) != len(want):
        raise _Mistake(f"{where}: your function returned {len(got)} {what}, expected "
                       f"{len(want)} (one per layer, input included).")


# --- theory -----------------------------------------------------------------------------

def check_sigmoid(fn):
    """Check ``fn(z)``, the sigmoid 1 / (1 + e^{-z}) (eq. 2), elementwise and finite (no
    overflow warning turned into inf or nan) for large |z|."""
    rng = np.random.default_rng(SEED + 10)
    inputs = [("for z = 13 points from -6 to 6", np.linspace(-6, 6, 13)),
              ("for a 2-D array z of shape (3, 4)", rng.normal(0, 3, (3, 4))),
              ("for large |z| (z = -800, -40, 40, 800)", np.array([-800.0, -40, 40, 800]))]

    def case(where, z):
        def run():
            got = _call(fn, (z.copy(),), where, forbidden=(sigmoid,))
            with np.errstate(all="ignore"):
                mistakes = [(1 / (1 + np.exp(z)), "that is f(-z): the sign of the exponent is "
                                                  "flipped."),
                            (np.exp(-z) / (1 + np.exp(-z)), "that is 1 - f(z).")]
            _compare(got, sigmoid(z), mistakes, "Apply the sigmoid to every entry of z.", where)
        return run
    return _run("sigmoid", [case(*i) for i in inputs])


def check_forward(fn):
    """Check ``fn(W, x)``: the list of activations [y_0 = x, y_1, ..., y_L] of a sigmoid
    network (eq. 1), for one example and for a mini-batch ``x`` of shape (batch, n_0)."""
    rng = np.random.default_rng(SEED + 11)

    def case(sizes, batch):
        def run():
            W, x, _ = _net(rng, sizes)
            if batch:
                x = rng.uniform(0, 1, (batch, sizes[0]))
            where = f"for a {_name(sizes)} network, " + (f"a batch of {batch}" if batch else
                                                          "one example")
            zs, ys = forward(W, x)
            got = _call(fn, ([w.copy() for w in W], x.copy()), where, forbidden=(forward,),
                        many=True)
            _layers(got, ys, where, "activations")
            for l, (g, want) in enumerate(zip(got, ys)):
                at = f"{where}, y_{l}"
                mistakes = [(zs[l], "that is the pre-activation z; apply the sigmoid to it.")]
                if l == 0:
                    mistakes = []
                _compare(np.asarray(g, float), want, mistakes,
                         f"y_{l} has one entry per neuron of layer {l} ({sizes[l]}).", at)
        return run
    return _run("forward", [case([4, 5, 3], 0), case([6, 3, 4, 2], 0), case([5, 4, 3], 7)])


def check_local_cost(fn):
    """Check ``fn(w, y, yhat_next)``: the local cost C_{l+1}(y_l) =
    1/2 ||yhat_{l+1} - f(W_l y_l)||^2 (eq. 4) of one example."""
    rng = np.random.default_rng(SEED + 12)

    def case(n_in, n_out):
        def run():
            w, y = rng.normal(0, 1, (n_out, n_in)), rng.uniform(0, 1, n_in)
            yhat = rng.uniform(0, 1, n_out)
            where = f"for w of shape {w.shape}"
            r = yhat - sigmoid(w @ y)
            _scalar(fn, (w, y, yhat),
                    local_cost(w, y, yhat), where,
                    [(np.sum(r * r), "the factor 1/2 is missing."),
                     (0.5 * np.sum((yhat - w @ y) ** 2), "the sigmoid is missing: the cost "
                                                         "compares the target with f(W y)."),
                     (0.5 * np.sum(np.abs(r)), "the differences should be squared.")], forbidden=(local_cost,))
        return run
    return _run("local_cost", [case(4, 3), case(6, 2), case(3, 5)])


def check_targets(fn):
    """Check ``fn(W, zs, ys, label, tau)``: the targets of Algorithm 1 with one Euler step
    from zero (the authors' code): a list [y_0, yhat_1, ..., yhat_L] (the first entry is not
    checked), yhat_L the one-hot label, then top-down yhat_l = -tau dC_{l+1}/dy_l at the
    forward activation y_l, C_{l+1} measured against the target yhat_{l+1} just computed."""
    rng = np.random.default_rng(SEED + 13)

    def case(sizes, tau):
        def run():
            W, x, label = _net(rng, sizes)
            zs, ys = forward(W, x)
            want = targets(W, zs, ys, label, tau=tau)
            act = targets(W, zs, ys, label, tau=tau, start="activation")
            where = f"for a {_name(sizes)} network, tau = {tau}"
            got = _call(fn, (W, zs, ys, label, tau), where, forbidden=(targets,), many=True)
            _layers(got, want, where, "targets")
            for l in range(len(want) - 1, 0, -1):
                _compare(np.asarray(got[l], float), want[l],
                         [(act[l], "the Euler step starts from the activation y_l; Algorithm "
                                   "1 as the authors ran it starts from zero (the gradient is "
                                   "still taken at y_l).")],
                         f"yhat_{l} has one entry per neuron of layer {l}.", f"{where}, yhat_{l}")
        return run
    return _run("targets", [case([4, 5, 3], 1.0), case([5, 4, 4, 2], 0.5)])


def check_backprop_deltas(fn):
    """Check ``fn(W, zs, ys, label)``: backprop's error signals [delta_0, ..., delta_{L-1}],
    delta_l the signal into layer l+1 (delta_{L-1} = (onehot - y_L) f'(z_L), then
    delta_{l-1} = W_l^T delta_l * f'(z_l)), as ``gtp.backprop_deltas``."""
    rng = np.random.default_rng(SEED + 14)

    def case(sizes):
        def run():
            W, x, label = _net(rng, sizes)
            zs, ys = forward(W, x)
            want = backprop_deltas(W, zs, ys, label)
            where = f"for a {_name(sizes)} network"
            got = _call(fn, (W, zs, ys, label), where, forbidden=(backprop_deltas,), many=True)
            _layers(got, want, where, "signals")
            for l in range(len(want) - 1, -1, -1):
                nxt = want[l + 1] if l + 1 < len(want) else None
                mistakes = [] if nxt is None else [
                    (W[l + 1].T @ nxt, "the factor f'(z) of the layer is missing."),
                    (W[l + 1].T @ nxt * sigmoid_prime(ys[l + 1]),
                     "f' was applied to the activation; it takes the pre-activation z.")]
                _compare(np.asarray(got[l], float), want[l], mistakes,
                         f"delta_{l} has one entry per neuron of layer {l + 1}.",
                         f"{where}, delta_{l}")
        return run
    return _run("backprop_deltas", [case([4, 5, 3]), case([5, 6, 4, 2])])


# --- training ---------------------------------------------------------------------------

def check_one_hot(fn):
    """Check ``fn(label, n_out)``: the one-hot output target (one label or an array)."""
    cases = [(3, 5), (0, 4), (np.array([1, 0, 2]), 3)]

    def case(label, n):
        def run():
            where = f"for label {label!r}, n_out = {n}"
            _compare(_call(fn, (label, n), where, forbidden=(one_hot,)), one_hot(label, n),
                     [(1 - one_hot(label, n), "ones and zeros are swapped.")],
                     "One entry per class, along the last axis.", where)
        return run
    return _run("one_hot", [case(*c) for c in cases])


def check_quadratic_cost(fn):
    """Check ``fn(yL, label)``: the output cost 1/2 ||onehot(label) - y_L||^2, the mean over
    the examples of a mini-batch."""
    rng = np.random.default_rng(SEED + 15)

    def case(batch, n):
        def run():
            yL = rng.uniform(0, 1, (batch, n) if batch else n)
            label = rng.integers(n, size=batch) if batch else int(rng.integers(n))
            where = f"for {f'a batch of {batch}' if batch else 'one example'}, {n} classes"
            d = one_hot(label, n) - yL
            _scalar(fn, (yL, label),
                    quadratic_cost(yL, label), where,
                    [(np.mean(np.sum(d * d, axis=-1)), "the factor 1/2 is missing."),
                     (0.5 * np.sum(d * d), "for a batch, take the mean over the examples, "
                                           "not the sum.")], forbidden=(quadratic_cost,))
        return run
    return _run("quadratic_cost", [case(0, 4), case(6, 3), case(5, 10)])


def check_accuracy(fn):
    """Check ``fn(W, X, labels)``: the fraction of the examples of ``X`` whose largest
    output (sigmoid network) is their label."""
    rng = np.random.default_rng(SEED + 16)

    def case(sizes, batch):
        def run():
            W, _, _ = _net(rng, sizes, 2.0)
            X, labels = rng.uniform(0, 1, (batch, sizes[0])), rng.integers(sizes[-1], size=batch)
            where = f"for a {_name(sizes)} network and {batch} examples"
            want = accuracy(W, X, labels)
            _scalar(fn, (W, X, labels), want,
                    where, [(100 * want, "give a fraction between 0 and 1, not a percentage."),
                            (1 - want, "that is the error rate, 1 - accuracy.")], forbidden=(accuracy,))
        return run
    return _run("accuracy", [case([5, 6, 4], 40), case([3, 4, 3, 3], 25)])


def check_relu_prime(fn):
    """Check ``fn(z)``: the derivative of the ReLU, 1 where z > 0 and 0 elsewhere."""
    rng = np.random.default_rng(SEED + 17)
    inputs = [("for z = 9 points from -4 to 4", np.linspace(-4, 4, 9)),
              ("for a 2-D array z of shape (3, 4)", rng.normal(0, 2, (3, 4)))]

    def case(where, z):
        def run():
            _compare(_call(fn, (z.copy(),), where, forbidden=(relu_prime,)), relu_prime(z),
                     [(np.maximum(z, 0), "that is the ReLU itself, not its derivative.")],
                     "One entry per entry of z.", where)
        return run
    return _run("relu_prime", [case(*i) for i in inputs])


# --- initialisation -----------------------------------------------------------------------

def check_uncertainty(fn):
    """Check ``fn(y)``: the neuron uncertainty U(y) = 6 y (1 - y) on (0, 1), zero outside
    (eq. 7-8), elementwise."""
    y = np.array([-0.5, 0.0, 0.1, 0.25, 0.5, 0.9, 1.0, 1.5])

    def run():
        where = "for y = -0.5, 0, 0.1, 0.25, 0.5, 0.9, 1, 1.5"
        _compare(_call(fn, (y.copy(),), where, forbidden=(uncertainty,)), uncertainty(y),
                 [(6 * y * (1 - y), "outside (0, 1) U is zero: it is a probability density "
                                    "on (0, 1)."),
                  (np.where((y > 0) & (y < 1), y * (1 - y), 0), "the factor 6 is missing: "
                                                                 "U must integrate to 1.")],
                 "One entry per entry of y.", where)
    return _run("uncertainty", [run])


def check_preactivation_var(fn):
    """Check ``fn(n, var_w, mean_y, var_y)``: Var(z) = n Var(w) (E[y]^2 + Var(y)) for
    z = sum of n products w_i y_i with independent zero-mean weights (eq. 23-25)."""
    cases = [(10, 0.1, 0.5, 0.05), (784, 1 / 784, 0.5, 1 / 12), (3, 2.0, 0.2, 0.01)]

    def case(n, vw, m, v):
        def run():
            where = f"for n = {n}, Var(w) = {vw:.4g}, E[y] = {m}, Var(y) = {v:.4g}"
            _scalar(fn, (n, vw, m, v), preactivation_var(n, vw, m, v), where,
                    [(n * vw * (m + v), "E[y] must be squared: E[w^2 y^2] = Var(w) E[y^2] "
                                        "and E[y^2] = E[y]^2 + Var(y) (the paper's misprint)."),
                     (vw * (m * m + v), "the sum has n terms: multiply by n.")], forbidden=(preactivation_var,))
        return run
    return _run("preactivation_var", [case(*c) for c in cases])


def check_weight_var(fn):
    """Check ``fn(n, mean_in, var_in, var_out)``: the weight variance of eq. 6 for sigmoid
    neurons (f'(E[z]) = 1/4), Var(w) = var_out / (n (1/4)^2 (mean_in^2 + var_in))."""
    cases = [(100, 0.5, 0.05, 0.05), (784, 0.5, 1 / 12, 0.05), (10, 0.3, 0.02, 0.04)]

    def case(n, m, vi, vo):
        def run():
            where = f"for n = {n}, E[y_in] = {m}, Var(y_in) = {vi:.4g}, Var(y_out) = {vo:.4g}"
            want = weight_var(n, m, vi, vo)
            _scalar(fn, (n, m, vi, vo),
                    want, where,
                    [(weight_var(n, m, vi, vo, printed=True), "E[y_in] must be squared (the "
                                                               "paper's printed eq. 6 drops it)."),
                     (want / 16, "f'(E[z]) = 1/4 enters squared in the denominator, "
                                 "(1/4)^2 = 1/16.")], forbidden=(weight_var,))
        return run
    return _run("weight_var", [case(*c) for c in cases])


# --- relatives ----------------------------------------------------------------------------

def check_dfa_delta(fn):
    """Check ``fn(B, e, z)``: direct feedback alignment's signal of a sigmoid hidden layer,
    (B e) * f'(z), with ``B`` the layer's fixed random matrix (n_l, n_L) and ``e`` the
    output error signal."""
    rng = np.random.default_rng(SEED + 18)

    def case(sizes):
        def run():
            W, x, label = _net(rng, sizes)
            L = len(W)
            B = {l: rng.normal(0, 1, (sizes[l], sizes[-1])) for l in range(1, L)}
            zs, ys = forward(W, x)
            d = dfa_deltas(W, zs, ys, label, B)
            for l in range(L - 1, 0, -1):
                where = f"for hidden layer {l} of a {_name(sizes)} network"
                got = _call(fn, (B[l].copy(), d[L - 1].copy(), zs[l].copy()), where,
                            forbidden=(dfa_deltas,))
                _compare(got, d[l - 1], [(B[l] @ d[L - 1], "the factor f'(z) is missing.")],
                         f"The signal has one entry per neuron of layer {l}.", where)
        return run
    return _run("dfa_delta", [case([5, 6, 4]), case([4, 5, 5, 3])])


def check_angle(fn):
    """Check ``fn(a, b)``: the angle in degrees between two updates seen as flat vectors."""
    rng = np.random.default_rng(SEED + 19)
    a = rng.normal(0, 1, (3, 4))
    cases = [("two random 3x4 matrices", a, rng.normal(0, 1, (3, 4))),
             ("two nearby matrices", a, a + 0.3 * rng.normal(0, 1, (3, 4))), ("a matrix and its negative", a, -a),
             ("two vectors", np.array([1.0, 0]), np.array([1.0, 1]))]

    def case(where, u, v):
        def run():
            want = angle(u, v)
            _scalar(fn, (u, v), want, where,
                    [(np.radians(want), "give degrees, not radians."),
                     (np.cos(np.radians(want)), "that is the cosine; the angle is its arccos.")], forbidden=(angle,))
        return run
    return _run("angle", [case(*c) for c in cases])


def check_dtp_target(fn):
    """Check ``fn(y, y_next, yhat_next, g)``: difference target propagation's target of a
    hidden layer, y + g(yhat_next) - g(y_next), with ``g`` the approximate inverse of the
    layer above (a function)."""
    rng = np.random.default_rng(SEED + 20)

    def case(n, n_next):
        def run():
            V = rng.normal(0, 1, (n, n_next))

            def g(h):
                return sigmoid(V @ h)
            y, y_next = rng.uniform(0, 1, n), rng.uniform(0, 1, n_next)
            yhat_next = y_next + rng.normal(0, 0.1, n_next)
            where = f"for a layer of {n} neurons under a layer of {n_next}"
            want = propagate_targets([None, y, y_next, None], yhat_next, {1: g})[1]
            got = _call(fn, (y, y_next, yhat_next, g), where, forbidden=(propagate_targets,))
            _compare(got, want, [(g(yhat_next), "that is plain target propagation, "
                                                "g(yhat_next): the difference correction "
                                                "y - g(y_next) is missing."),
                                 (y + g(y_next) - g(yhat_next), "the correction has the wrong "
                                                                "sign.")],
                     f"The target has one entry per neuron of the layer ({n}).", where)
        return run
    return _run("dtp_target", [case(4, 3), case(5, 6)])
