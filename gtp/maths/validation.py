"""Input validation shared by the maths core: clear errors that name the argument."""
import math
import numbers

import numpy as np

#: The largest accepted Euler step tau (eq. 32).  The paper's Tables 1-3 use tau from 25 to
#: 400, this book's sensitivity grids reach 4000 and its searches about 5600: 1e6 leaves a
#: factor 250 of headroom.  Above it a tau is a typo or a slip of units, not an experiment:
#: with the zero start the target is linear in tau (eq. 39) and the update of W_l grows like
#: eta tau^(L-1-l) (eq. 15-16), so tau = 1e30 does not diverge but silently drives the
#: weights to about 1e27 (issue #28).  With tau <= 1e6 the product tau^(L-1) stays below
#: float32's largest number (``GAIN_MAX``) for up to six hidden layers.
TAU_MAX = 1e6
#: The largest accepted gain eta_l prod_{m=l+1}^{L-1} tau_m: the factor between GTP's
#: zero-start update of W_l and backprop's gradient (eq. 15-16, ``decomposition.layer_gains``).
#: It is float32's largest number (3.4e38): a larger gain is not a number of the engine's
#: default dtype, so a deep network with several large taus is refused even when each tau
#: is below ``TAU_MAX``.
GAIN_MAX = float(np.finfo(np.float32).max)


class DivergenceError(FloatingPointError):
    """An update produced non-finite targets or weights; the weights were left unchanged."""


def check_weights(W):
    if not isinstance(W, (list, tuple)) or len(W) == 0:
        raise ValueError("W: expected a non-empty list of 2-D weight arrays W[l] of shape "
                         "(n_{l+1}, n_l)")
    for l, w in enumerate(W):
        if not isinstance(w, np.ndarray) or w.ndim != 2:
            raise ValueError(f"W[{l}]: expected a 2-D numpy array of shape (n_{l+1}, n_l), "
                             f"got {type(w).__name__} with shape {np.shape(w)}")
        if not np.issubdtype(w.dtype, np.floating):
            raise ValueError(f"W[{l}]: expected floating-point weights (float32 or float64), got dtype "
                             f"{w.dtype}: integer weights cannot take an update; pass W[{l}].astype(float)")
        if l > 0 and W[l - 1].shape[0] != w.shape[1]:
            raise ValueError(f"W[{l}]: shape {w.shape} does not chain with W[{l-1}] of shape "
                             f"{W[l-1].shape}: W[{l}] needs {W[l-1].shape[0]} columns")


def check_input(x, W):
    x = np.asarray(x)
    n0 = W[0].shape[1]
    if x.ndim not in (1, 2) or x.shape[-1] != n0:
        raise ValueError(f"x: expected shape ({n0},) for one example or (batch, {n0}) for a "
                         f"mini-batch, got {x.shape}")
    if not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"x: expected a numeric array, got dtype {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x: contains NaN or infinite values; clean or impute the inputs first")
    return x


def check_labels(label, n_out, x):
    lab = np.asarray(label)
    batch = np.asarray(x).ndim == 2
    want = (np.asarray(x).shape[0],) if batch else ()
    if lab.shape != want:
        raise ValueError(f"label: expected {'an integer array of shape ' + str(want) if batch else 'one integer'}"
                         f" to match x, got shape {lab.shape}")
    if not np.issubdtype(lab.dtype, np.integer):
        raise ValueError(f"label: expected integer class indices in 0..{n_out - 1}, got dtype {lab.dtype}")
    if lab.size and (lab.min() < 0 or lab.max() >= n_out):
        raise ValueError(f"label: class indices must lie in 0..{n_out - 1} (the output layer "
                         f"has {n_out} neurons), got values from {lab.min()} to {lab.max()}")
    return lab


def _number(v, name):
    if isinstance(v, (bool, str, bytes)) or not isinstance(v, (numbers.Real, np.number)):
        raise ValueError(f"{name}: expected a number, got {v!r}")
    return float(v)


def per_layer(value, n, name, positive=True, maximum=None):
    """Broadcast a scalar hyper-parameter to ``n`` layers, or check a per-layer sequence
    (``maximum``: the largest accepted value, if any); a string is an error naming ``name``."""
    if isinstance(value, (numbers.Real, np.number, str, bytes)) or np.ndim(value) == 0:
        vals = [_number(value, name)] * n
    else:
        vals = [_number(v, name) for v in value]
        if len(vals) != n:
            raise ValueError(f"{name}: expected one scalar or {n} per-layer values, got {len(vals)}")
    for v in vals:
        if not np.isfinite(v) or (positive and v <= 0):
            raise ValueError(f"{name}: must be a finite number > 0, got {v}")
        if maximum is not None and v > maximum:
            raise ValueError(f"{name}: {v:g} is above the largest accepted value {maximum:g}; "
                             f"use a value in the paper's range")
    return vals


def check_tau(tau, n_layers, eta=None):
    """Check the Euler step of eq. 32 for a network of ``n_layers`` weight matrices.

    Parameters
    ----------
    tau : float or sequence of float
        One positive finite number, or one per hidden layer (``tau[l-1]`` for layer l;
        one value when ``n_layers`` is 1), each at most ``TAU_MAX``, and their product at
        most ``GAIN_MAX``.
    n_layers : int
        L, the number of weight matrices.
    eta : float or sequence of float, optional
        With it, every gain eta_l prod_{m=l+1}^{L-1} tau_m (eq. 15-16) must be at most
        ``GAIN_MAX`` as well.

    Returns
    -------
    list of float
        The per-layer taus.

    Raises
    ------
    ValueError
        Naming ``tau`` (or ``eta``), the value, the cap and what to use instead.
    """
    L = int(n_layers)
    taus = per_layer(tau, max(L - 1, 1), "tau")
    for l, t in enumerate(taus, start=1):
        if t > TAU_MAX:
            where = "" if np.ndim(tau) == 0 else f" (hidden layer {l})"
            raise ValueError(f"tau: {t:g}{where} is above the cap {TAU_MAX:g}: a step this large does "
                             f"not diverge but silently drives the weights to huge finite values; use "
                             f"a tau of the paper's order (25 to 400)")
    prod = math.prod(taus[:L - 1])
    if prod > GAIN_MAX:
        raise ValueError(f"tau: the product of the {L - 1} hidden layers' taus is {prod:.3g}, above "
                         f"{GAIN_MAX:.3g} (float32's largest number): it multiplies backprop's term in "
                         f"W[0]'s update (eq. 15-16); use smaller taus for this depth")
    if eta is not None:
        etas = per_layer(eta, L, "eta")
        for l in range(L):
            gain = etas[l] * math.prod(taus[l:L - 1])
            if gain > GAIN_MAX:
                raise ValueError(f"eta: the gain of W[{l}]'s update, eta x the product of the taus "
                                 f"above it (eq. 15-16), is {gain:.3g}, above {GAIN_MAX:.3g} (float32's "
                                 f"largest number); use a smaller eta or tau")
    return taus


def check_finite_weights(W):
    """NaN or infinite weights *before* an update are bad input, not a divergence."""
    for l, w in enumerate(W):
        if not np.isfinite(w).all():
            raise ValueError(f"W[{l}]: holds NaN or infinite values before the update (bad initial "
                             f"weights or a corrupt file, not a divergence); start from finite weights")


def check_steps(steps):
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps: expected an integer >= 1 (number of Euler steps), got {steps!r}")
    return int(steps)
