"""gtp.maths.dynamics: exact and fine solutions of the target ODE (eq. 3), Euler stability (eq. 32)."""
import numpy as np
import pytest

import gtp
from gtp.maths import dynamics as dyn


def test_integrator_matches_closed_forms():
    ts = np.linspace(0, 5, 11)
    y = dyn.integrate(lambda y: -y, np.array([1.0]), ts)
    np.testing.assert_allclose(y[:, 0], np.exp(-ts), rtol=0, atol=1e-10)
    rot = dyn.integrate(lambda y: np.array([y[1], -y[0]]), np.array([1.0, 0.0]), ts)
    np.testing.assert_allclose(rot[:, 0], np.cos(ts), atol=1e-9)
    np.testing.assert_allclose(rot[:, 1], -np.sin(ts), atol=1e-9)


def test_integrator_error_shrinks_with_tolerance():
    ts = np.array([3.0])
    errs = [abs(dyn.integrate(lambda y: y * (1 - y), np.array([0.1]), ts, rtol=r, atol=r)[0, 0]
                - 1 / (1 + 9 * np.exp(-3.0))) for r in (1e-4, 1e-8, 1e-12)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-11


def test_integrator_rejects_bad_times():
    with pytest.raises(ValueError, match="t_eval"):
        dyn.integrate(lambda y: -y, np.array([1.0]), [1.0, 0.5])


@pytest.mark.parametrize("w, label, y0", [(2.0, 0.8, 0.1), (-3.0, 0.3, 0.9), (0.7, 0.05, 2.0)])
def test_two_neuron_exact_solution_matches_integrator(w, label, y0):
    ts = np.linspace(0, 60, 13)
    exact = dyn.two_neuron_exact(ts, y0, w, label)
    fine = dyn.target_ode(dyn.two_neuron_weights(w), np.array([y0]), np.array([label]), ts)[:, 0]
    np.testing.assert_allclose(exact, fine, rtol=0, atol=1e-9)
    assert exact[0] == y0


def test_two_neuron_exact_time_derivative_is_the_ode():
    """d t / d y from the closed form equals 1 / (dy/dt) of eq. 3 (finite differences)."""
    w, label, y0 = 2.0, 0.8, 0.1
    y, h = np.array([0.3, 0.5, 0.65]), 1e-6
    dt_dy = (dyn.two_neuron_time(y + h, y0, w, label) - dyn.two_neuron_time(y - h, y0, w, label)) / (2 * h)
    rhs = -gtp.local_cost_grad(dyn.two_neuron_weights(w), y[:, None], np.array([label]))[:, 0]
    np.testing.assert_allclose(dt_dy, 1 / rhs, rtol=1e-7)


def test_two_neuron_minimiser_and_limit():
    w, label = 2.0, 0.8
    y_star = dyn.two_neuron_minimiser(w, label)
    assert gtp.sigmoid(np.array(w * y_star)) == pytest.approx(label, abs=1e-15)
    assert gtp.local_cost_grad(dyn.two_neuron_weights(w), np.array([y_star]), np.array([label]))[0] \
        == pytest.approx(0, abs=1e-16)
    assert dyn.two_neuron_exact(np.array([400.0]), 0.1, w, label)[0] == pytest.approx(y_star, abs=1e-12)
    # C''(y*) by finite differences of the local cost equals w^2 f'(w y*)^2
    h = 1e-4
    def c(y):
        return gtp.local_cost(dyn.two_neuron_weights(w), np.array([y]), np.array([label]))
    curv = (c(y_star + h) - 2 * c(y_star) + c(y_star - h)) / h ** 2
    assert curv == pytest.approx(dyn.two_neuron_curvature(w, label), rel=1e-6)
    assert dyn.two_neuron_stability_limit(w, label) == pytest.approx(2 / curv, rel=1e-6)


@pytest.mark.parametrize("bad", [dict(label=1.0), dict(label=0.0), dict(w=0.0)])
def test_two_neuron_rejects_unreachable_targets(bad):
    args = dict(w=2.0, label=0.8)
    args.update(bad)
    with pytest.raises(ValueError, match="label|w:"):
        dyn.two_neuron_minimiser(**args)


@pytest.mark.parametrize("act", ["sigmoid", "relu"])
def test_local_cost_hessian_by_finite_differences(act):
    rng = np.random.default_rng(3)
    w = rng.normal(size=(3, 4))
    y = rng.random(4) + 0.2
    t = np.array([0.2, 0.9, 0.4])
    H = dyn.local_cost_hessian(w, y, t, act)
    h = 1e-6
    num = np.array([(gtp.local_cost_grad(w, y + h * e, t, act) - gtp.local_cost_grad(w, y - h * e, t, act))
                    / (2 * h) for e in np.eye(4)])
    np.testing.assert_allclose(H, num, rtol=1e-6, atol=1e-8)


def test_gauss_newton_hessian_is_the_full_one_at_a_minimiser_only():
    """G = W^T diag(f'^2) W equals the full Hessian where f(Wy) = yhat, and differs elsewhere."""
    rng = np.random.default_rng(4)
    w = rng.normal(size=(3, 5))
    y = rng.random(5)
    fp = gtp.sigmoid_prime(w @ y)
    G = dyn.local_cost_hessian(w, y, gtp.sigmoid(w @ y), kind="gauss-newton")
    np.testing.assert_allclose(G, w.T @ np.diag(fp ** 2) @ w, rtol=1e-12)
    np.testing.assert_allclose(dyn.local_cost_hessian(w, y, gtp.sigmoid(w @ y)), G, rtol=1e-12, atol=1e-15)
    onehot = gtp.one_hot(1, 3)
    assert np.max(np.abs(dyn.local_cost_hessian(w, y, onehot) - G)) > 1e-3
    assert dyn.stability_limit(w, y, onehot) != pytest.approx(
        dyn.stability_limit(w, y, onehot, kind="gauss-newton"), rel=1e-3)
    with pytest.raises(ValueError, match="kind"):
        dyn.local_cost_hessian(w, y, onehot, kind="newton")


def test_stability_limit_of_a_multi_neuron_layer():
    """Euler (eq. 32) converges below 2 / lambda_max(H) and does not above it (reachable target)."""
    rng = np.random.default_rng(7)
    w = rng.normal(size=(3, 5))
    y_ref = rng.random(5)
    target = gtp.sigmoid(w @ y_ref)                 # reachable: C = 0 at y_ref
    limit = dyn.stability_limit(w, y_ref, target)
    y0 = y_ref + 1e-4 * rng.normal(size=5)
    def final_cost(tau):
        y = gtp.euler_target(w, y0, target, tau=tau, steps=400, start="activation")
        return gtp.local_cost(w, y, target)
    c0 = gtp.local_cost(w, y0, target)
    assert final_cost(0.9 * limit) < 1e-12 * c0
    assert final_cost(1.1 * limit) > c0


@pytest.mark.parametrize("start", ["activation", "zero"])
def test_euler_vs_exact_statuses(start):
    limit = dyn.two_neuron_stability_limit(2.0, 0.8)
    got = {f: dyn.euler_vs_exact(tau=f * limit, steps=60, start=start)["status"]
           for f in (0.25, 1.1, 2.5)}
    assert got == {0.25: "converged", 1.1: "oscillating", 2.5: "diverged"}
    assert dyn.euler_vs_exact(tau=0.01, steps=3, start=start)["status"] == "converging"


def test_euler_vs_exact_uses_the_library_euler_and_exact_curve():
    r = dyn.euler_vs_exact(w=2.0, y_forward=0.1, label=0.8, tau=3.0, steps=10, start="activation")
    ref = gtp.euler_target(np.array([[2.0]]), np.array([0.1]), np.array([0.8]), tau=3.0,
                                   steps=10, start="activation", trajectory=True)
    np.testing.assert_array_equal(r["path"], [p[0] for p in ref])
    assert r["exact"][0] == 0.1 and r["t_fine"][0] == 0
    z = dyn.euler_vs_exact(tau=3.0, steps=10, start="zero")
    assert z["path"][0] == 0 and z["t_fine"][0] == 3.0 and z["exact"][0] == z["path"][1]
    # tiny steps: Euler follows the exact curve
    s = dyn.euler_vs_exact(tau=0.05, steps=200)
    exact_at_steps = dyn.two_neuron_exact(s["t"], 0.1, 2.0, 0.8)
    assert np.max(np.abs(s["path"] - exact_at_steps)) < 5e-3


def test_classify_path_reports_non_finite_as_data():
    assert dyn.classify_path([1.0, np.inf]) == "diverged"
    assert dyn.classify_path([1.0, 0.5, 1e-9]) == "converged"
    assert dyn.classify_path([0.1, -0.2, 0.2, -0.2, 0.2]) == "oscillating"
    assert dyn.classify_path([0.1, 0.5, 0.9]) == "diverged"
    assert dyn.classify_path([1.0, 0.9, 0.8]) == "converging"


def test_logit_inverts_sigmoid():
    p = np.array([1e-6, 0.2, 0.5, 0.9])
    np.testing.assert_allclose(gtp.sigmoid(dyn.logit(p)), p, rtol=1e-12)


def test_integrator_reports_a_blow_up():
    """dy/dt = y^2 from y(0) = 1 blows up at t = 1."""
    with pytest.raises(FloatingPointError, match="integrate"):
        dyn.integrate(lambda y: y ** 2, np.array([1.0]), [2.0])
    y = dyn.integrate(lambda y: y ** 2, np.array([1.0]), [0.5])
    assert y[0, 0] == pytest.approx(2.0, rel=1e-9)
