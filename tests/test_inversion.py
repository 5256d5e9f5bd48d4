"""gtp.maths.inversion: layer-by-layer inversion (Appendix C) against the target ODE (eq. 3)."""
import numpy as np
import pytest

import gtp
from gtp.maths import dynamics
from gtp.maths import inversion as inv


def layer(n_in, n_out, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 2 / np.sqrt(n_in), (n_out, n_in)), rng


def test_single_neuron_inversion_equals_ode_limit():
    w, t = np.array([[2.0]]), np.array([0.8])
    p = inv.preimage(w, t)
    assert p["kind"] == "unique"
    assert p["particular"][0] == pytest.approx(dynamics.two_neuron_minimiser(2.0, 0.8), abs=1e-15)
    assert inv.ode_limit(w, np.array([0.1]), t, 1e3)[0] == pytest.approx(p["particular"][0], abs=1e-10)
    # eq. 37 with one pre-synaptic neuron is exact in one step
    assert inv.appendix_c_rate(np.array([[2.0], [-1.0]])) == pytest.approx(0, abs=1e-15)


def test_kinds_of_failure():
    w, rng = layer(4, 2)
    assert inv.preimage(w, gtp.one_hot(1, 2))["kind"] == "no inverse"
    many = inv.preimage(w, np.array([0.3, 0.6]))
    assert many["kind"] == "many" and many["null_dim"] == 2
    # every point of the affine set has zero cost
    y = many["particular"] + many["null_basis"] @ rng.normal(size=2)
    assert gtp.local_cost(w, y, np.array([0.3, 0.6])) < 1e-25
    wt, _ = layer(2, 4, 1)
    assert inv.preimage(wt, np.array([0.3, 0.6, 0.5, 0.9]))["kind"] == "none"


def test_ode_limit_is_the_nearest_preimage():
    w, rng = layer(5, 2, 2)
    t = gtp.sigmoid(w @ rng.random(5))
    y0 = rng.random(5)
    lim = inv.ode_limit(w, y0, t, 3e3)
    near = inv.nearest_preimage(w, y0, t)
    np.testing.assert_allclose(lim, near, atol=1e-8)
    least = inv.logit_least_squares(w, t)
    assert np.linalg.norm(near - y0) < np.linalg.norm(least - y0)   # least-norm ignores y0


def test_per_neuron_inversions_each_solve_their_own_equation():
    w, rng = layer(3, 4, 3)
    t, y = rng.uniform(0.1, 0.9, 4), rng.random(3)
    per = inv.per_neuron_inversions(w, t, y)
    for i in range(4):
        for k in range(3):
            yk = y.copy()
            yk[k] = per[i, k]
            assert gtp.sigmoid(w[i] @ yk) == pytest.approx(t[i], rel=1e-12)


def test_appendix_c_iteration_matrix_and_divergence():
    w, rng = layer(6, 3, 4)
    t = gtp.sigmoid(w @ rng.random(6))
    y0 = rng.random(6)
    y_star = inv.nearest_preimage(w, y0, t)
    M = inv.appendix_c_matrix(w)
    y1 = inv.appendix_c_step(w, t, y0)
    np.testing.assert_allclose(y1 - y_star, M @ (y0 - y_star), atol=1e-12)
    rate = inv.appendix_c_rate(w)
    assert rate > 1
    path = inv.appendix_c_iterate(w, t, y0, 25)
    d = np.linalg.norm(path - y_star, axis=1)
    assert d[-1] > 1e3 * d[0]


def test_two_to_one_iteration_cycles_forever():
    w, t, y0 = np.array([[1.5, -2.0]]), np.array([0.7]), np.array([0.3, 0.6])
    assert inv.appendix_c_rate(w) == pytest.approx(1.0, abs=1e-14)
    path = inv.appendix_c_iterate(w, t, y0, 4)
    np.testing.assert_allclose(path[2], path[0], atol=1e-14)
    np.testing.assert_allclose(path[3], path[1], atol=1e-14)


def test_ode_beats_logit_least_squares_when_no_preimage():
    w = np.array([[1.5], [-2.0]])
    t, y0 = np.array([0.7, 0.6]), np.array([0.3])
    res = inv.compare_targets(w, y0, t, tau=1.0, steps=20, t_max=500)
    ode = res["ODE at t = 500"][1]
    assert ode < res["logit least squares"][1] < res["eq. 37, 10 iterations"][1]
    # the ODE limit is the minimiser: zero derivative of the cost
    y = res["ODE at t = 500"][0]
    assert abs(gtp.local_cost_grad(w, y, t)[0]) < 1e-10


def test_one_hot_targets_compare():
    w, rng = layer(6, 3, 5)
    res = inv.compare_targets(w, rng.random(6), gtp.one_hot(0, 3), tau=1.0, steps=10, t_max=100)
    assert "logit least squares (clipped 0.001)" in res and "eq. 37, 10 iterations" not in res
    assert all(np.isfinite(c) for _, c in res.values())
    assert res["Euler, 10 steps"][1] < res["forward activation"][1]
