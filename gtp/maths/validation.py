"""Input validation shared by the maths core: clear errors that name the argument."""
import numbers

import numpy as np


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
