"""Initialisation beyond the core (gtp.maths.initialisation): exact moments, the exact variant of eq. 6,
the wide-network prediction of every layer and Monte Carlo estimates with intervals."""
from fractions import Fraction

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss

import gtp
from gtp.maths import initialisation as init

UNIFORM_SQ = 1 / 4 + 1 / 12        # E[x^2] for x ~ Uniform(0, 1)
EXACT_HALF = (1 / 2, 1 / 20)


def integrate(f, a=0.0, b=1.0, n=200001):
    x = np.linspace(a, b, n)
    y = f(x)
    return float(np.sum((y[1:] + y[:-1]) / 2) * (x[1] - x[0]))


# ------------------------------------------------------------------ exact fractions
def test_uncertainty_moments_are_exact_fractions():
    m0, m1, m2 = (init.uncertainty_moment(k) for k in range(3))
    assert (m0, m1, m2 - m1 ** 2) == (1, Fraction(1, 2), Fraction(1, 20))     # eq. 8, 28, 29
    for k in range(2, 6):
        num = integrate(lambda y: y ** k * gtp.uncertainty(y))
        assert num == pytest.approx(float(init.uncertainty_moment(k)), abs=1e-9)
    assert init.uniform_moment(2) - init.uniform_moment(1) ** 2 == Fraction(1, 12)


@pytest.mark.parametrize("bad", [-1, 1.5, "2"])
def test_moments_reject_bad_order(bad):
    with pytest.raises(ValueError, match="k: expected a non-negative integer"):
        init.uncertainty_moment(bad)
    with pytest.raises(ValueError, match="k: expected a non-negative integer"):
        init.uniform_moment(bad)


def test_eq6_coefficient_gives_eq_9_10_and_the_printed_values():
    half, u12, u20 = Fraction(1, 2), Fraction(1, 12), Fraction(1, 20)
    assert init.eq6_coefficient(half, u12) == Fraction(12, 5)                    # eq. 9
    assert init.eq6_coefficient(half, u20) == Fraction(8, 3)                     # eq. 10
    assert init.eq6_coefficient(half, u12, printed=True) == Fraction(48, 35)
    assert init.eq6_coefficient(half, u20, printed=True) == Fraction(16, 11)
    for n in (10, 784):   # the float implementation agrees with the exact one
        assert gtp.weight_var(n) == pytest.approx(float(init.eq6_coefficient(half, u20)) / n,
                                                  rel=1e-14)


# ------------------------------------------------------------------ densities
@pytest.mark.parametrize("var_z", [0.3, 0.8, 1.2243500525, 4.0])
def test_logit_normal_pdf_is_the_law_of_a_gaussian_sigmoid(var_z):
    def p(y):
        return init.logit_normal_pdf(y, var_z)
    assert integrate(p) == pytest.approx(1, abs=1e-6)
    mean, var = init.gaussian_moments(var_z)
    assert integrate(lambda y: y * p(y)) == pytest.approx(mean, abs=1e-6)
    assert integrate(lambda y: (y - 0.5) ** 2 * p(y)) == pytest.approx(var, abs=1e-6)
    assert init.logit_normal_pdf(np.array([-1.0, 0.0, 1.0, 2.0]), var_z).tolist() == [0] * 4
    with pytest.raises(ValueError, match="var_z: expected a positive variance"):
        init.logit_normal_pdf(0.5, 0.0)


def test_uncertainty_logit_variance():
    # Var(logit Y) for Y ~ U: logit(y)^2 U(y) is integrable at both ends; mean is 0
    eps = 1e-12
    v = integrate(lambda y: np.log(y / (1 - y)) ** 2 * gtp.uncertainty(y), eps, 1 - eps, 2000001)
    assert v == pytest.approx(init.uncertainty_logit_var(), rel=1e-6)
    assert init.uncertainty_logit_var() == pytest.approx(np.pi ** 2 / 3 - 2, rel=1e-15)


# ------------------------------------------------------------------ Gaussian moments
@pytest.mark.parametrize("var_z", [1e-3, 0.1, 0.8, 1.5, 10.0, 100.0])
def test_gaussian_sigmoid_moments_match_adaptive_quadrature(var_z):
    """Reference: scipy's adaptive quadrature (QUADPACK), independent of our fixed grid."""
    from scipy.integrate import quad
    s = np.sqrt(var_z)
    def phi(u):
        return np.exp(-u * u / 2) / np.sqrt(2 * np.pi)
    ref = quad(lambda u: (gtp.sigmoid(s * u) - 0.5) ** 2 * phi(u), -12, 12, points=[0],
               limit=200, epsabs=1e-15)[0]
    mean, var = init.gaussian_moments(var_z)
    assert mean == pytest.approx(0.5, abs=1e-13)                      # symmetry
    assert var == pytest.approx(ref, abs=1e-13)
    if var_z <= 1.5:   # Gauss-Hermite (smooth f) agrees too; it converges slowly for steep f
        x, w = hermegauss(200)
        assert var == pytest.approx(w @ (gtp.sigmoid(s * x) - 0.5) ** 2 / np.sqrt(2 * np.pi),
                                    abs=1e-12)


def test_gaussian_moments_delta_method_limits_and_vectorisation():
    v = np.array([1e-6, 1e-4, 1e-2])
    _, var = init.gaussian_moments(v)
    # eq. 18 is exact to first order: Var(y) / Var(z) -> f'(0)^2 = 1/16, with an O(Var(z)) error
    assert np.all(np.abs(var / v - 1 / 16) < v)
    assert init.gaussian_moments(1e6)[1] == pytest.approx(0.25, abs=1e-3)   # two-point law
    grid = np.linspace(0.01, 20, 50)
    assert np.all(np.diff(init.gaussian_moments(grid)[1]) > 0)
    assert init.gaussian_moments(0.8)[1] < 0.8 / 16                   # delta method overshoots
    with pytest.raises(ValueError, match="act: expected 'sigmoid' or 'relu'"):
        init.gaussian_moments(1.0, "tanh")
    with pytest.raises(ValueError, match="var_z: expected finite variances"):
        init.gaussian_moments(-1.0)


def test_gaussian_moments_monte_carlo():
    rng = np.random.default_rng(0)
    n = 400000
    for act, f in (("sigmoid", gtp.sigmoid), ("relu", gtp.relu)):
        z = rng.normal(0, np.sqrt(0.8), n)
        y = f(z)
        mean, var = init.gaussian_moments(0.8, act)
        # standard errors from the sample itself; 4.5 sigma bounds
        assert abs(y.mean() - mean) < 4.5 * y.std() / np.sqrt(n)
        se_var = np.std((y - y.mean()) ** 2) / np.sqrt(n)
        assert abs(y.var() - var) < 4.5 * se_var


def test_sigmoid_var_inverse():
    s = init.sigmoid_var_inverse()
    assert init.gaussian_moments(s)[1] == pytest.approx(1 / 20, abs=1e-13)
    assert 0.8 < s < init.uncertainty_logit_var()      # more than the delta method's 4/5
    assert init.sigmoid_var_inverse(0.01) < s
    for bad in (0.0, 0.25, -0.1):
        with pytest.raises(ValueError, match="var_y: a sigmoid's variance lies in"):
            init.sigmoid_var_inverse(bad)


# ------------------------------------------------------------------ schemes
def test_scheme_variances_extends_layer_variances():
    sizes = [784, 300, 200, 10]
    for scheme in ("paper", "paper-printed", "glorot", "he"):
        assert init.scheme_variances(sizes, scheme) == gtp.layer_variances(sizes, scheme)
    assert init.scheme_variances(sizes, "normal", std=0.1) == pytest.approx([0.01] * 3)
    s = init.sigmoid_var_inverse()
    exact = init.scheme_variances(sizes, "paper-exact")
    # both approximations of eq. 6 change Var(w) by the same factor s / (4/5) here, because
    # the exact scheme's hidden inputs have exactly the moments eq. 10 assumes
    assert np.array(exact) / gtp.layer_variances(sizes) == pytest.approx([s / 0.8] * 3, rel=1e-12)
    # data-aware: only the first layer sees the input statistics
    m, v = 0.13, 0.095
    assert init.scheme_variances(sizes, "paper-exact", input_stats=(m, v))[0] == pytest.approx(
        s / (784 * (m * m + v)))
    # ReLU first layer: it keeps Var(z) = 4/5, the next layer adapts to E[y^2] = 4/5 / 2
    relu = init.scheme_variances(sizes, "paper-exact", acts="paper")
    assert relu[0] == pytest.approx(12 / 5 / 784) and relu[1] == pytest.approx(s / (300 * 0.4))
    with pytest.raises(ValueError, match="scheme: expected one of"):
        init.scheme_variances(sizes, "lecun")
    with pytest.raises(ValueError, match="sizes: expected at least two"):
        init.scheme_variances([5], "paper-exact")


def test_sample_weights():
    W = init.sample_weights([400, 300, 5], [0.01, 0.04], rng=3, dtype=np.float32)
    assert [w.shape for w in W] == [(300, 400), (5, 300)] and W[1].dtype == np.float32
    assert W[0].var() == pytest.approx(0.01, rel=0.02)       # 120,000 draws: 0.4% std error
    np.testing.assert_array_equal(init.sample_weights([4, 3], [1.0], 7)[0],
                                  init.sample_weights([4, 3], [1.0], 7)[0])
    with pytest.raises(ValueError, match="variances: expected 1 non-negative"):
        init.sample_weights([4, 3], [1.0, 2.0])


# ------------------------------------------------------------------ layer-by-layer prediction
def test_propagate_moments_exact_scheme_holds_one_twentieth_at_every_depth():
    sizes = [784] + [500] * 10 + [10]
    pred = init.propagate_moments(sizes, init.scheme_variances(sizes, "paper-exact"))
    assert pred["var_y"] == pytest.approx([1 / 20] * 11, abs=1e-12)
    assert pred["mean_y"] == pytest.approx([1 / 2] * 11, abs=1e-12)
    paper = init.propagate_moments(sizes, gtp.layer_variances(sizes))
    assert paper["var_z"][0] == pytest.approx(0.8)
    assert paper["var_y_delta"][0] == pytest.approx(1 / 20)
    assert paper["var_y"][0] == pytest.approx(init.gaussian_moments(0.8)[1], abs=1e-14)
    # eq. 10 assumes E[y^2] = 3/10 but gets 1/4 + Var(y_1) < 3/10: the hidden Var(z) shrinks
    assert paper["var_z"][1] == pytest.approx(0.8 * (0.25 + paper["var_y"][0]) / 0.3)
    assert np.all(np.diff(paper["var_y"][:-1]) < 0)


def test_propagate_moments_mixture_and_relu():
    sizes, v = [100, 50, 50], [0.03, 0.05]
    a = init.propagate_moments(sizes, v, input_sq_mean=0.3)
    b = init.propagate_moments(sizes, v, input_sq_mean=np.full(7, 0.3))
    for k in a:
        assert a[k] == pytest.approx(b[k], rel=1e-14)
    # a spread of ||x||^2 widens z (same mean Var(z), heavier tails): Var(y) drops
    c = init.propagate_moments(sizes, v, input_sq_mean=np.array([0.1, 0.5]))
    assert c["var_z"][0] == pytest.approx(a["var_z"][0]) and c["var_y"][0] < a["var_y"][0]
    r = init.propagate_moments(sizes, v, acts=["relu", "sigmoid"], input_sq_mean=0.3)
    s = np.sqrt(100 * 0.03 * 0.3)
    assert r["mean_y"][0] == pytest.approx(s / np.sqrt(2 * np.pi))
    assert np.isnan(r["var_y_delta"][0]) and r["var_z"][1] == pytest.approx(50 * 0.05 * s * s / 2)
    with pytest.raises(ValueError, match="variances: expected 2 values"):
        init.propagate_moments(sizes, [0.1])


# ------------------------------------------------------------------ Monte Carlo with intervals
def test_confidence_interval_coverage():
    """The Student-t interval of 8 replicates covers the true mean ~95% of the time:
    2,000 intervals, binomial standard error 0.5%, we accept 93-97%."""
    rng = np.random.default_rng(4)
    samples = rng.normal(3.0, 2.0, (8, 2000))
    mean, half = init.confidence_interval(samples)
    cover = np.mean(np.abs(mean - 3.0) <= half)
    assert 0.93 < cover < 0.97
    with pytest.raises(ValueError, match="need at least 2 independent replicates"):
        init.confidence_interval(np.ones((1, 3)))
    with pytest.raises(ValueError, match="level: expected a probability"):
        init.confidence_interval(np.ones((3, 3)), level=95)


def test_monte_carlo_verdict_on_the_first_forward_pass():
    """Uniform inputs, 784 -> 400 sigmoid neurons, 8 independent replicates: the corrected
    eq. 6 gives Var(y) = 0.0368 (exact Gaussian value, not 1/20), the printed one ~0.024,
    the exact variant 1/20.  We require each prediction inside 2 CI half-widths (~99.9%
    level) and 1/20 outside the paper's and the printed scheme's intervals."""
    rng = np.random.default_rng(0)
    sizes, X = [784, 400], rng.random((2400, 784))
    got = {}
    for scheme in ("paper", "paper-printed", "paper-exact"):
        v = init.scheme_variances(sizes, scheme)
        got[scheme] = init.monte_carlo_moments(sizes, v, X, replicates=8, rng=1)
        pred = init.propagate_moments(sizes, v)["var_y"][0]
        mc, half = got[scheme]["var_y"][0], got[scheme]["var_y_ci"][0]
        assert 0 < half < 0.002
        assert abs(mc - pred) < 2 * half, scheme
        assert abs(got[scheme]["mean_y"][0] - 0.5) < 2 * got[scheme]["mean_y_ci"][0] + 1e-3
    for scheme in ("paper", "paper-printed"):
        assert abs(got[scheme]["var_y"][0] - 1 / 20) > 3 * got[scheme]["var_y_ci"][0]
    assert got["paper-exact"]["replicates"]["var_y"].shape == (8, 1)
    with pytest.raises(ValueError, match="X: expected at least 8 rows of 784"):
        init.monte_carlo_moments(sizes, [0.01], X[:, :10])


def test_monte_carlo_matches_prediction_in_a_deep_paper_network_with_relu_first_layer():
    rng = np.random.default_rng(5)
    sizes = [784, 300, 300, 300, 10]
    v = gtp.layer_variances(sizes)
    mc = init.monte_carlo_moments(sizes, v, rng.random((1600, 784)), acts="paper", replicates=8,
                                  rng=2)
    pred = init.propagate_moments(sizes, v, acts="paper")
    for key in ("var_z", "var_y"):
        # finite width (300) adds a small bias; allow 2 half-widths plus 3% of the value
        assert np.all(np.abs(mc[key][:3] - pred[key][:3]) < 2 * mc[key + "_ci"][:3]
                      + 0.03 * pred[key][:3]), key


# ------------------------------------------------------------------ input-driven variance
def test_gaussian_gain():
    # small Var(z): E[f'(z)^2] -> f'(0)^2 = 1/16; Monte Carlo at Var(z) = 0.8
    assert init.gaussian_gain(1e-8) == pytest.approx(1 / 16, rel=1e-7)
    rng = np.random.default_rng(3)
    g = gtp.sigmoid_prime(rng.normal(0, np.sqrt(0.8), 400000)) ** 2
    assert abs(init.gaussian_gain(0.8) - g.mean()) < 4.5 * g.std() / np.sqrt(g.size)
    assert init.gaussian_gain([0.3, 2.0], "relu").tolist() == [0.5, 0.5]
    assert np.all(np.diff(init.gaussian_gain(np.linspace(0, 5, 20))) < 0)
    with pytest.raises(ValueError, match="act: expected 'sigmoid' or 'relu'"):
        init.gaussian_gain(1.0, "tanh")


def test_input_driven_variance_decays_with_depth_as_predicted():
    """Most of Var(y) is a fixed offset per neuron; the part that depends on the input
    shrinks by n Var(w) E[f'(z)^2] per layer.  Monte Carlo (8 replicates of 150 inputs)
    agrees with the linearised prediction within 8% at every hidden layer."""
    rng = np.random.default_rng(6)
    sizes = [784] + [256] * 6 + [10]
    v = gtp.layer_variances(sizes)
    pred = init.propagate_moments(sizes, v)
    mc = init.monte_carlo_moments(sizes, v, rng.random((1200, 784)), replicates=8, rng=3)
    hidden = slice(0, 6)
    assert pred["var_z_input"][0] == pytest.approx(0.8 / 4)   # 1/12 of the 1/3 per feature
    ratio = mc["var_y_input"][hidden] / pred["var_y_input"][hidden]
    assert np.all(np.abs(ratio - 1) < 0.08), ratio
    gain = pred["var_y_input"][1:6] / pred["var_y_input"][0:5]
    assert np.all(gain < 0.2)                                  # at least 5x smaller per layer
    assert np.all(mc["var_y_input"] < mc["var_y"])             # a part of the total
    share = mc["var_y_input"][hidden] / mc["var_y"][hidden]
    assert share[0] == pytest.approx(0.25, abs=0.02) and share[-1] < 1e-3

