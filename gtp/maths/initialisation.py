"""Weight initialisation (section 3.2, Appendix A) and the usual alternatives.

The paper draws w ~ Normal(0, Var(w)) with Var(w) chosen so that every sigmoid
neuron starts with the *maximal uncertainty* density U(y) = 6 y (1 - y)
(eq. 7-8), whose variance is 1/20 (eq. 29).  With the delta method
Var(y) ~ f'(E[z])^2 Var(z) (eq. 18) and Var(z) = N Var(w) (E[y]^2 + Var(y))
(eq. 23-25), this gives eq. 6 (with the square; see the errata in the book):

    Var(w) = Var(y_l) / ( N f'(E[z_l])^2 (E[y_{l-1}]^2 + Var(y_{l-1})) ),

hence 12/(5N) for uniform [0, 1] inputs (eq. 9, 30) and 8/(3N) for sigmoid
inputs with the uncertainty law (eq. 10, 31).  The printed eq. 6 (E[y] instead of
E[y]^2) gives 48/(35N) and 16/(11N) instead.
"""
from fractions import Fraction

import numpy as np

from .activations import sigmoid

__all__ = ["UNCERTAINTY_MEAN", "UNCERTAINTY_VAR", "UNIFORM_MEAN", "UNIFORM_VAR",
           "SIGMOID_PRIME_AT_0", "SCHEMES", "uncertainty", "preactivation_var",
           "delta_method_var", "weight_var", "layer_variances", "input_statistics",
           "init_weights", "EXTRA_SCHEMES", "uncertainty_moment", "uniform_moment",
           "eq6_coefficient", "logit_normal_pdf", "uncertainty_logit_var", "gaussian_moments",
           "gaussian_gain", "sigmoid_var_inverse", "scheme_variances", "sample_weights",
           "propagate_moments", "confidence_interval", "monte_carlo_moments"]

UNCERTAINTY_MEAN = 1 / 2   # eq. 28
UNCERTAINTY_VAR = 1 / 20   # eq. 29
UNIFORM_MEAN, UNIFORM_VAR = 1 / 2, 1 / 12
SIGMOID_PRIME_AT_0 = 1 / 4
SCHEMES = ("paper", "paper-printed", "glorot", "he", "normal")


def uncertainty(y):
    """Neuron uncertainty U(y) = 6 y (1 - y) on (0, 1), zero outside (eq. 7-8).

    A probability density: integral 1, mean 1/2 (eq. 28), variance 1/20 (eq. 29).
    """
    y = np.asarray(y, dtype=float)
    return np.where((y > 0) & (y < 1), 6 * y * (1 - y), 0.0)


def preactivation_var(n, var_w, mean_y, var_y, printed=False):
    """Var(z) for z = sum_{i<n} w_i y_i with independent zero-mean w (eq. 23-25):

        Var(z) = n Var(w) (E[y]^2 + Var(y)).

    ``printed=True`` uses the paper's printed form E[y] + Var(y) (eq. 26-27, erratum).
    """
    m = mean_y if printed else mean_y ** 2
    return n * var_w * (m + var_y)


def delta_method_var(var_z, fprime_at_mean=SIGMOID_PRIME_AT_0):
    """Delta method (eq. 18): Var(f(z)) ~ f'(E[z])^2 Var(z)."""
    return fprime_at_mean ** 2 * var_z


def weight_var(n, mean_in=UNCERTAINTY_MEAN, var_in=UNCERTAINTY_VAR, var_out=UNCERTAINTY_VAR,
               fprime_at_mean=SIGMOID_PRIME_AT_0, printed=False):
    """Variance of the weights into a neuron of fan-in ``n`` (eq. 6):

        Var(w) = Var(y_l) / (n f'(E[z_l])^2 (E[y_{l-1}]^2 + Var(y_{l-1}))).

    Defaults: sigmoid inputs with the uncertainty law, giving 8/(3n) (eq. 10).
    With ``mean_in=1/2, var_in=1/12`` (uniform inputs): 12/(5n) (eq. 9).
    ``printed=True`` drops the square as printed (48/(35n), 16/(11n)).
    """
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"n: fan-in must be a positive integer, got {n!r}")
    if var_in < 0 or var_out <= 0:
        raise ValueError(f"var_in must be >= 0 and var_out > 0, got {var_in}, {var_out}")
    return var_out / delta_method_var(preactivation_var(n, 1.0, mean_in, var_in, printed),
                                      fprime_at_mean)


def input_statistics(X):
    """Pooled mean and variance of the input features (for a data-aware first layer).

    Since Var(z) depends on the inputs only through sum_i E[y_i^2] = n (m^2 + v),
    the pooled (m, v) make eq. 6 exact for inputs that are not uniform.
    """
    X = np.asarray(X, dtype=float)
    return float(X.mean()), float(X.var())


def layer_variances(sizes, scheme="paper", input_stats=None):
    """Weight variance of each layer for ``sizes = [n_0, ..., n_L]`` under ``scheme``.

    paper: eq. 9 for the first layer (uniform inputs, or ``input_stats=(mean, var)``
    measured on the data), eq. 10 for the others.  paper-printed: same with the
    printed eq. 6.  glorot: 2/(n_in + n_out).  he: 2/n_in.
    """
    if scheme not in SCHEMES or scheme == "normal":
        raise ValueError(f"scheme: expected one of {SCHEMES[:-1]} here, got {scheme!r}")
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ValueError(f"sizes: expected at least two positive layer sizes, got {sizes}")
    out = []
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if scheme == "glorot":
            out.append(2.0 / (n_in + n_out))
        elif scheme == "he":
            out.append(2.0 / n_in)
        else:
            m, v = (input_stats or (UNIFORM_MEAN, UNIFORM_VAR)) if l == 0 else \
                (UNCERTAINTY_MEAN, UNCERTAINTY_VAR)
            out.append(weight_var(int(n_in), m, v, printed=(scheme == "paper-printed")))
    return out


def init_weights(sizes, scheme="paper", rng=None, dtype=np.float64, input_stats=None, std=0.01):
    """Random weights ``W[l] ~ Normal(0, var_l)`` of shape ``(sizes[l+1], sizes[l])``.

    ``scheme`` is one of ``SCHEMES``; "normal" uses the fixed ``std``.  ``rng`` is a
    seed or ``numpy.random.Generator``; ``dtype`` float64 (default) or float32.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme: expected one of {SCHEMES}, got {scheme!r}")
    if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype: expected float32 or float64, got {dtype}")
    rng = np.random.default_rng(rng)
    sizes = [int(s) for s in sizes]
    if scheme == "normal":
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes: expected at least two positive layer sizes, got {sizes}")
        variances = [std ** 2] * (len(sizes) - 1)
    else:
        variances = layer_variances(sizes, scheme, input_stats)
    return [(np.sqrt(v) * rng.standard_normal((n_out, n_in))).astype(dtype)
            for v, n_in, n_out in zip(variances, sizes[:-1], sizes[1:])]


# --------------------------------------------------------------------------- exact moments
# The functions below check the derivation of Appendix A line by line: exact rational
# moments of U, the exact (not first-order) variance of a sigmoid of a Gaussian, the
# wide-network prediction of every layer's moments, and Monte Carlo estimates with
# confidence intervals.  They add to the paper; they do not change ``init_weights``.

EXTRA_SCHEMES = ("paper-exact",)
_UMAX = 8.5                # |z| / sd beyond which the Gaussian mass is 2e-17


def _standard_normal_grid(s_max):
    """Trapezoid nodes u and weights phi(u) h on [-8.5, 8.5] for E[g(s u)], u ~ N(0, 1).

    For g = sigmoid the integrand is analytic in the strip |Im u| < pi / s, so the rule
    converges geometrically, error ~ exp(-2 pi^2 / (s h)); h = min(0.2, 0.5 / s) keeps it
    below 1e-16 (and the tails beyond 8.5 sd weigh 2e-17).
    """
    h = min(0.2, 0.5 / max(s_max, 1e-12))
    k = int(np.ceil(_UMAX / h))
    u = np.linspace(-k * h, k * h, 2 * k + 1)
    return u, np.exp(-u * u / 2) / np.sqrt(2 * np.pi) * h


def uncertainty_moment(k):
    """Exact k-th raw moment of the uncertainty density (eq. 28-29), as a Fraction:

        E[y^k] = int_0^1 y^k 6 y (1 - y) dy = 6 / ((k + 2)(k + 3)).

    k = 0 gives 1 (eq. 8), k = 1 gives 1/2 (eq. 28); E[y^2] - E[y]^2 = 1/20 (eq. 29).
    """
    if not (isinstance(k, (int, np.integer)) and k >= 0):
        raise ValueError(f"k: expected a non-negative integer, got {k!r}")
    return Fraction(6, (int(k) + 2) * (int(k) + 3))


def uniform_moment(k):
    """Exact k-th raw moment of the uniform law on [0, 1]: 1 / (k + 1) (Appendix A, eq. 30)."""
    if not (isinstance(k, (int, np.integer)) and k >= 0):
        raise ValueError(f"k: expected a non-negative integer, got {k!r}")
    return Fraction(1, int(k) + 1)


def eq6_coefficient(mean_in, var_in, var_out=Fraction(1, 20), fprime=Fraction(1, 4),
                    printed=False):
    """N Var(w) from eq. 6 in exact arithmetic (give Fractions or integers):

        N Var(w) = Var(y_l) / (f'(0)^2 (E[y_{l-1}]^2 + Var(y_{l-1}))).

    Uniform inputs (1/2, 1/12) give 12/5 (eq. 9), uncertainty inputs (1/2, 1/20) give 8/3
    (eq. 10); ``printed=True`` (E[y] instead of E[y]^2, as printed) gives 48/35 and 16/11.
    """
    m = Fraction(mean_in)
    second = (m if printed else m * m) + Fraction(var_in)
    return Fraction(var_out) / (Fraction(fprime) ** 2 * second)


def logit_normal_pdf(y, var_z):
    """Density of y = sigmoid(z) for z ~ Normal(0, var_z) (a logit-normal law on (0, 1)):

        p(y) = phi(logit(y) / s) / (s y (1 - y)),   s = sqrt(var_z).

    This is the law of a sigmoid neuron at initialisation when z is Gaussian; compare it
    with the target density U(y) of eq. 7.
    """
    if not var_z > 0:
        raise ValueError(f"var_z: expected a positive variance, got {var_z!r}")
    y = np.asarray(y, dtype=float)
    out = np.zeros_like(y)
    inside = (y > 0) & (y < 1)
    yi = y[inside]
    s = np.sqrt(var_z)
    u = np.log(yi / (1 - yi)) / s
    out[inside] = np.exp(-u * u / 2) / (np.sqrt(2 * np.pi) * s * yi * (1 - yi))
    return out


def uncertainty_logit_var():
    """Var(logit(Y)) for Y with density U (a Beta(2, 2) law): 2 psi'(2) = pi^2/3 - 2.

    The pre-activation z = logit(y) a neuron would need for y to follow U exactly; a
    Gaussian z with this variance gives Var(y) > 1/20 (the laws differ in shape).
    """
    return np.pi ** 2 / 3 - 2


def gaussian_moments(var_z, act="sigmoid"):
    """Exact mean and variance of f(z) for z ~ Normal(0, var_z), elementwise in ``var_z``.

    sigmoid: by quadrature (trapezoid rule on z / sqrt(var_z), see ``_standard_normal_grid``;
    the integrand is analytic, so the error is at rounding level).
    relu: closed form, E[y] = s / sqrt(2 pi), E[y^2] = s^2 / 2 with s = sqrt(var_z).
    This is what the delta method (eq. 18) approximates to first order.
    """
    v = np.asarray(var_z, dtype=float)
    if np.any(~np.isfinite(v)) or np.any(v < 0):
        raise ValueError(f"var_z: expected finite variances >= 0, got {var_z!r}")
    if act == "relu":
        s = np.sqrt(v)
        return s / np.sqrt(2 * np.pi), v * (0.5 - 1 / (2 * np.pi))
    if act != "sigmoid":
        raise ValueError(f"act: expected 'sigmoid' or 'relu', got {act!r}")
    s = np.sqrt(v)
    u, w = _standard_normal_grid(float(s.max()) if s.size else 0.0)
    f = sigmoid(s[..., None] * u)
    mean = f @ w
    var = ((f - mean[..., None]) ** 2) @ w
    return mean, var


def gaussian_gain(var_z, act="sigmoid"):
    """E[f'(z)^2] for z ~ Normal(0, var_z), elementwise: the mean squared slope of a layer.

    n Var(w) E[f'(z)^2] is the factor by which a small input-driven variance of the
    pre-activations is multiplied from one layer to the next (it is also the mean-field
    gain of backpropagated gradients).  sigmoid: quadrature as ``gaussian_moments``;
    relu: 1/2 (f' = 1 on half of the line).
    """
    v = np.asarray(var_z, dtype=float)
    if np.any(~np.isfinite(v)) or np.any(v < 0):
        raise ValueError(f"var_z: expected finite variances >= 0, got {var_z!r}")
    if act == "relu":
        return np.full_like(v, 0.5)
    if act != "sigmoid":
        raise ValueError(f"act: expected 'sigmoid' or 'relu', got {act!r}")
    s = np.sqrt(v)
    u, w = _standard_normal_grid(float(s.max()) if s.size else 0.0)
    f = sigmoid(s[..., None] * u)
    return (f * (1 - f)) ** 2 @ w


def sigmoid_var_inverse(var_y=UNCERTAINTY_VAR):
    """The Var(z) for which Var(sigmoid(z)) = ``var_y`` exactly, z ~ Normal(0, Var(z)).

    Var(sigmoid(z)) grows monotonically from 0 to 1/4 with Var(z), so the root is found by
    bisection (on log Var(z), to relative precision ~1e-13).  The delta method (eq. 18)
    would answer 16 var_y; for var_y = 1/20 that is 4/5, the exact answer is larger.
    """
    if not 0 < var_y < 0.25:
        raise ValueError(f"var_y: a sigmoid's variance lies in (0, 1/4), got {var_y!r}")
    lo, hi = np.log(1e-8), np.log(1e8)
    for _ in range(80):
        mid = (lo + hi) / 2
        if gaussian_moments(np.exp(mid))[1] < var_y:
            lo = mid
        else:
            hi = mid
    return float(np.exp((lo + hi) / 2))


def _input_second_moment(input_stats):
    m, v = input_stats if input_stats is not None else (UNIFORM_MEAN, UNIFORM_VAR)
    if v < 0:
        raise ValueError(f"input_stats: the variance must be >= 0, got {v}")
    return m * m + v


def scheme_variances(sizes, scheme="paper", acts="sigmoid", input_stats=None, std=0.01,
                     var_out=UNCERTAINTY_VAR):
    """Weight variance of every layer for the schemes of ``init_weights`` plus "paper-exact".

    For the schemes of ``SCHEMES`` this is ``layer_variances`` ("normal": ``std**2``).
    "paper-exact" keeps eq. 6's idea (fix Var(z) so that sigmoid neurons have Var(y) =
    ``var_out``) but without its two approximations: Var(z) is the exact root of
    ``sigmoid_var_inverse`` instead of 16 var_out, and every layer uses the exact second
    moment E[y^2] of its inputs (``input_stats`` for layer 0, ``gaussian_moments`` after).
    A ReLU layer (``acts``) keeps the paper's Var(z) = 16 var_out; the next layer then
    adapts to the ReLU outputs' real second moment.
    """
    from .activations import resolve_activations
    sizes = [int(s) for s in sizes]
    if scheme in SCHEMES and scheme != "normal":
        return layer_variances(sizes, scheme, input_stats)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes: expected at least two positive layer sizes, got {sizes}")
    if scheme == "normal":
        return [float(std) ** 2] * (len(sizes) - 1)
    if scheme != "paper-exact":
        raise ValueError(f"scheme: expected one of {SCHEMES + EXTRA_SCHEMES}, got {scheme!r}")
    names = resolve_activations(acts, len(sizes) - 1)
    target_sigmoid = sigmoid_var_inverse(var_out)
    second = _input_second_moment(input_stats)
    out = []
    for n_in, name in zip(sizes[:-1], names):
        var_z = target_sigmoid if name == "sigmoid" else var_out / SIGMOID_PRIME_AT_0 ** 2
        out.append(var_z / (n_in * second))
        m, v = gaussian_moments(var_z, name)
        second = float(m * m + v)
    return out


def sample_weights(sizes, variances, rng=None, dtype=np.float64):
    """``W[l] ~ Normal(0, variances[l])`` of shape ``(sizes[l+1], sizes[l])``, like
    ``init_weights`` but from any list of variances; float32 draws are made in float32
    (faster; a different random stream from float64)."""
    sizes = [int(s) for s in sizes]
    if len(variances) != len(sizes) - 1 or min(variances) < 0:
        raise ValueError(f"variances: expected {len(sizes) - 1} non-negative values, "
                         f"got {variances}")
    if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype: expected float32 or float64, got {dtype}")
    rng = np.random.default_rng(rng)
    out = []
    for v, n_in, n_out in zip(variances, sizes[:-1], sizes[1:]):
        w = rng.standard_normal((n_out, n_in), dtype=dtype)   # drawn in dtype (fast float32)
        w *= np.sqrt(v)
        out.append(w)
    return out


def propagate_moments(sizes, variances, acts="sigmoid",
                      input_sq_mean=UNIFORM_MEAN ** 2 + UNIFORM_VAR,
                      input_feature_var=UNIFORM_VAR):
    """Predicted moments of every layer at initialisation, for wide layers (no Monte Carlo).

    Given an input x, z_{l+1} = W_l y_l is Gaussian with variance n_l Var(w_l) E[y_l^2 | x]
    (eq. 23-25 applied to the layer's own inputs; central limit for wide layers), and
    ``gaussian_moments`` gives the exact moments of y_{l+1} given x.  ``input_sq_mean`` is
    (1/n_0) ||x||^2: one number (e.g. 1/3 for uniform inputs) or one per example of a data
    set, whose spread turns z into a Gaussian mixture.  Moments are then pooled over the
    examples (law of total variance).  Returns a dict of arrays of length L:
    ``var_z``, ``mean_y``, ``var_y`` and ``var_y_delta`` (eq. 18: f'(0)^2 Var(z) for
    sigmoid layers, NaN for ReLU layers, where the paper's formula does not apply).

    It also splits off the *input-driven* part: ``var_z_input`` / ``var_y_input`` is the
    variance of one neuron across inputs, averaged over neurons.  For layer 1 it is
    n_0 Var(w_0) times ``input_feature_var`` (the features' variance across examples,
    averaged over features: 1/12 for uniform inputs); then every layer multiplies it by
    ``gaussian_gain`` (linearised: exact when this part is small, i.e. after layer 1).
    The rest of Var(y) is a fixed offset of each neuron, the same for every input.
    """
    from .activations import resolve_activations
    sizes = [int(s) for s in sizes]
    if len(variances) != len(sizes) - 1:
        raise ValueError(f"variances: expected {len(sizes) - 1} values, got {len(variances)}")
    names = resolve_activations(acts, len(variances))
    q = np.atleast_1d(np.asarray(input_sq_mean, dtype=float))
    if q.ndim != 1 or np.any(q < 0):
        raise ValueError("input_sq_mean: expected a number or a 1-D array of values >= 0")
    keys = ("var_z", "mean_y", "var_y", "var_y_delta", "var_z_input", "var_y_input")
    out = {k: np.empty(len(variances)) for k in keys}
    input_var = float(input_feature_var)
    for l, (n_in, v, name) in enumerate(zip(sizes[:-1], variances, names)):
        var_z = n_in * v * q                         # per example, given x
        m, var = gaussian_moments(var_z, name)
        out["var_z"][l] = var_z.mean()
        out["mean_y"][l] = m.mean()
        out["var_y"][l] = var.mean() + m.var()       # law of total variance over examples
        out["var_y_delta"][l] = (delta_method_var(var_z.mean()) if name == "sigmoid"
                                 else np.nan)
        q = m * m + var                              # E[y^2 | x] of the next layer's inputs
        out["var_z_input"][l] = n_in * v * input_var
        input_var = out["var_y_input"][l] = float(np.mean(gaussian_gain(var_z, name))) * \
            out["var_z_input"][l]
    return out


def confidence_interval(samples, level=0.95):
    """Mean and Student-t half-width of the ``level`` confidence interval of the mean of
    independent replicate estimates (first axis), for each remaining entry."""
    from scipy.special import stdtrit  # Student-t quantile (lighter than scipy.stats)
    s = np.asarray(samples, dtype=float)
    r = s.shape[0]
    if r < 2:
        raise ValueError(f"samples: need at least 2 independent replicates, got {r}")
    if not 0 < level < 1:
        raise ValueError(f"level: expected a probability in (0, 1), got {level!r}")
    half = stdtrit(r - 1, (1 + level) / 2) * s.std(axis=0, ddof=1) / np.sqrt(r)
    return s.mean(axis=0), half


def monte_carlo_moments(sizes, variances, X, acts="sigmoid", replicates=8, rng=None,
                        level=0.95, dtype=np.float64, keep_outputs=False):
    """Monte Carlo estimate of every layer's moments at initialisation, with intervals.

    ``X`` (n, n_0) is split into ``replicates`` disjoint chunks; replicate r draws fresh
    weights ``sample_weights(sizes, variances)`` and feeds chunk r, then pools z and y over
    the chunk's examples and the layer's neurons.  The replicates are independent, so the
    Student-t interval over them is honest even though neurons share inputs and weights.
    Returns a dict of arrays of length L: ``mean_z``, ``var_z``, ``mean_y``, ``var_y``,
    ``var_z_input``, ``var_y_input`` (input-driven part, see ``propagate_moments``; means
    over replicates), the same names with ``_ci`` (half-widths at ``level``), and
    ``replicates`` (the (R, L) array of each statistic, keyed by name).  ``dtype``: of the
    weights and the forward pass (float32 is faster).  ``keep_outputs=True`` adds ``ys``,
    the outputs of layers 1..L of the first replicate (for histograms).
    """
    from .network import forward
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != int(sizes[0]) or len(X) < replicates:
        raise ValueError(f"X: expected at least {replicates} rows of {int(sizes[0])} features, "
                         f"got shape {X.shape}")
    rng = np.random.default_rng(rng)
    stats = {k: [] for k in ("mean_z", "var_z", "mean_y", "var_y", "var_z_input", "var_y_input")}
    first_ys = None
    for chunk in np.array_split(X.astype(dtype, copy=False), replicates):
        zs, ys = forward(sample_weights(sizes, variances, rng, dtype), chunk, acts)
        first_ys = ys[1:] if first_ys is None else first_ys
        for name, layers in (("z", zs[1:]), ("y", ys[1:])):
            stats["mean_" + name].append([a.mean() for a in layers])
            stats["var_" + name].append([a.var() for a in layers])
            # each neuron's variance across the chunk's inputs, averaged over neurons
            stats[f"var_{name}_input"].append([a.var(axis=0).mean() for a in layers])
    out = {"replicates": {k: np.array(v, dtype=np.float64) for k, v in stats.items()}}
    if keep_outputs:
        out["ys"] = first_ys
    for k, v in out["replicates"].items():
        out[k], out[k + "_ci"] = confidence_interval(v, level)
    return out
