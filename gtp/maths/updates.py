"""Learning rules: gradient target propagation (eq. 5) and backprop, on the same network.

Both return weight *updates* ``dW`` (to be added to ``W``) for one example or the
mean over a mini-batch; the ``*_step`` functions apply them in place after checking
that every new weight is finite (otherwise ``W`` is left untouched).
"""
import numpy as np

from .activations import get_activation, resolve_activations
from .network import forward, one_hot
from .targets import targets
from .validation import DivergenceError, check_finite_weights, check_labels, check_tau, check_weights, per_layer

__all__ = ["outer", "local_deltas", "gtp_updates", "backprop_deltas", "backprop_gradients", "cosine",
           "backprop_updates", "apply_updates", "gtp_step", "backprop_step"]


def outer(delta, y):
    """delta y^T for one example, or the batch mean of the outer products."""
    if delta.ndim == 1:
        return np.outer(delta, y)
    return delta.T @ y / delta.shape[0]


def local_deltas(W, zs, ys, yhat, acts="sigmoid"):
    """Local error signals (yhat_{l+1} - y_{l+1}) * f'(z_{l+1}) for l = 0..L-1.

    This is -dC_{l+1}/dz_{l+1} for the local cost of eq. 4.
    """
    names = resolve_activations(acts, len(W))
    return [(yhat[l + 1] - ys[l + 1]) * get_activation(names[l])[1](zs[l + 1])
            for l in range(len(W))]


def gtp_updates(W, x, label, tau, eta, steps=1, start="zero", acts="sigmoid"):
    """Gradient target propagation updates (Algorithm 1, eq. 5):

        dW_l = -eta_l dC_{l+1}/dW_l = eta_l [(yhat_{l+1} - y_{l+1}) * f'(z_{l+1})] y_l^T

    with targets from ``targets`` (eq. 3, 32) and the forward-pass z and y.
    ``eta`` is a scalar or one value per weight matrix; ``tau`` a scalar or one
    value per hidden layer.  Each tau is at most ``validation.TAU_MAX`` and each gain
    eta_l prod_{m>l} tau_m (eq. 15-16) at most ``validation.GAIN_MAX`` (``check_tau``).
    Returns the list of updates, one per ``W[l]``.
    """
    etas = per_layer(eta, len(W), "eta")
    check_weights(W)
    check_tau(tau, len(W), etas)
    check_finite_weights(W)              # bad input, before it could look like a divergence
    zs, ys = forward(W, x, acts)
    yhat = targets(W, zs, ys, label, tau, steps, start, acts)
    return [e * outer(d, ys[l]) for l, (e, d) in
            enumerate(zip(etas, local_deltas(W, zs, ys, yhat, acts)))]


def backprop_deltas(W, zs, ys, label, acts="sigmoid"):
    """Backprop's error signals -dC/dz_{l+1} for l = 0..L-1 by the chain rule, from the
    forward pass ``zs, ys``; the backprop update direction of ``W[l]`` is ``d[l] y_l^T``."""
    names = resolve_activations(acts, len(W))
    L = len(W)
    d = [None] * L
    d[L - 1] = (one_hot(label, W[-1].shape[0], ys[L].dtype) - ys[L]) * \
        get_activation(names[-1])[1](zs[L])
    for l in range(L - 1, 0, -1):
        d[l - 1] = (d[l] @ W[l]) * get_activation(names[l - 1])[1](zs[l])
    return d


def backprop_gradients(W, x, label, acts="sigmoid"):
    """Gradients dC/dW_l of the output quadratic cost C = 1/2 ||onehot - y_L||^2 by
    the chain rule (backpropagation), batch-averaged for a mini-batch."""
    zs, ys = forward(W, x, acts)
    lab = check_labels(label, W[-1].shape[0], x)
    return [-outer(d, ys[l]) for l, d in enumerate(backprop_deltas(W, zs, ys, lab, acts))]


def cosine(a, b):
    """Cosine of the angle between two updates seen as flat vectors, in float64
    (nan if either is zero or not finite)."""
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0 or not (np.isfinite(na) and np.isfinite(nb)):
        return float("nan")
    return float(a @ b / (na * nb))


def backprop_updates(W, x, label, eta, acts="sigmoid"):
    """Backprop's gradient-descent updates dW_l = -eta_l dC/dW_l on the same cost."""
    etas = per_layer(eta, len(W), "eta")
    check_weights(W)
    check_finite_weights(W)
    return [-e * g for e, g in zip(etas, backprop_gradients(W, x, label, acts))]


def apply_updates(W, dW):
    """W[l] += dW[l] in place, all or nothing: if any new weight would be non-finite,
    raise ``DivergenceError`` naming the layer and leave every ``W[l]`` unchanged."""
    check_weights(W)
    check_finite_weights(W)
    if len(dW) != len(W):
        raise ValueError(f"dW: expected {len(W)} updates, one per weight matrix, got {len(dW)}")
    for l, (w, d) in enumerate(zip(W, dW)):
        if d.shape != w.shape:
            raise ValueError(f"dW[{l}]: shape {d.shape} does not match W[{l}] {w.shape}")
        if not np.all(np.isfinite(w + d)):
            raise DivergenceError(f"update of W[{l}] (into layer {l + 1}) is not finite; the "
                                  f"weights were left unchanged: try a smaller tau or eta")
    for w, d in zip(W, dW):
        w += d.astype(w.dtype, copy=False)
    return W


def gtp_step(W, x, label, tau, eta, steps=1, start="zero", acts="sigmoid"):
    """One GTP learning step in place (Algorithm 1).  Returns ``W``."""
    return apply_updates(W, gtp_updates(W, x, label, tau, eta, steps, start, acts))


def backprop_step(W, x, label, eta, acts="sigmoid"):
    """One backprop SGD step in place on the same quadratic cost.  Returns ``W``."""
    return apply_updates(W, backprop_updates(W, x, label, eta, acts))
