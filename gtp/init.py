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
import numpy as np

__all__ = ["UNCERTAINTY_MEAN", "UNCERTAINTY_VAR", "UNIFORM_MEAN", "UNIFORM_VAR",
           "SIGMOID_PRIME_AT_0", "SCHEMES", "uncertainty", "preactivation_var",
           "delta_method_var", "weight_var", "layer_variances", "input_statistics",
           "init_weights"]

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
