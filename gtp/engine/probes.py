"""What a run measures after every epoch besides accuracy: the cost and accuracy of a split,
and how each layer's update compares with backprop's on a fixed probe batch (cosines for GTP,
angles for every rule of the registry).

Used by ``gtp.engine.training.train`` (the per-epoch entries ``cos_batch``, ``cos_example``,
``angle``) and by book/relatives/angles.md (``layer_angles``).
"""
import numpy as np

from ..maths.network import forward, one_hot
from ..maths.relatives_maths import update_angles
from ..maths.targets import targets
from ..maths.updates import backprop_deltas, backprop_gradients, cosine, gtp_updates, local_deltas
from ..maths.validation import DivergenceError, check_labels
from .rules import get_rule

__all__ = ["evaluate", "probe_cosines", "probe_angles", "layer_angles"]

def evaluate(W, X, y, acts, chunk=2000):
    """Mean cost 1/2 ||onehot - y_L||^2 and accuracy of ``W`` on ``(X, y)`` (batched)."""
    loss, correct = 0.0, 0
    with np.errstate(over="ignore", invalid="ignore"):
        for s in range(0, len(X), chunk):
            out = forward(W, X[s:s + chunk], acts)[1][-1]
            d = one_hot(y[s:s + chunk], out.shape[1], out.dtype) - out
            loss += 0.5 * float(np.sum(d.astype(np.float64) ** 2))
            correct += int(np.count_nonzero(np.argmax(out, axis=1) == y[s:s + chunk]))
    return loss / len(X), correct / len(X)


def _cos(a, b):
    """``rules.cosine`` with ``None`` (JSON null) where it is undefined."""
    c = cosine(a, b)
    return None if np.isnan(c) else c


def probe_cosines(W, X, y, acts, tau, steps=1, start="zero"):
    """Per-layer cosines between GTP's update and the negative backprop gradient on the
    probe batch ``(X, y)``: ``{"cos_batch": [...], "cos_example": [...]}`` (see the module
    docstring; ``None`` where a cosine is undefined or the targets are not finite)."""
    L = len(W)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            up = gtp_updates(W, X, y, tau, 1.0, steps, start, acts)
            grads = backprop_gradients(W, X, y, acts)
            cos_batch = [_cos(u, -g) for u, g in zip(up, grads)]
            zs, ys = forward(W, X, acts)
            yhat = targets(W, zs, ys, y, tau, steps, start, acts)
            dg = local_deltas(W, zs, ys, yhat, acts)
            db = backprop_deltas(W, zs, ys, y, acts)
    except DivergenceError:
        return {"cos_batch": [None] * L, "cos_example": [None] * L}
    cos_example = []
    for l in range(L):
        a, b = dg[l].astype(np.float64), db[l].astype(np.float64)
        na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
        yn = np.linalg.norm(ys[l].astype(np.float64), axis=1)
        ok = (na > 0) & (nb > 0) & (yn > 0)
        cos_example.append(float(np.mean(np.sum(a[ok] * b[ok], axis=1) / (na[ok] * nb[ok])))
                           if ok.any() else None)
    return {"cos_batch": cos_batch, "cos_example": cos_example}


def probe_angles(W, X, y, cfg, state=None):
    """``{"angle": [...]}``: per-layer angles (degrees) between the rule's update and
    backprop's on the probe batch (``gtp.engine.probes.layer_angles``; ``None`` where undefined
    or the rule's signals are not finite)."""
    try:
        return {"angle": layer_angles(W, X, y, cfg, state)}
    except DivergenceError:
        return {"angle": [None] * len(W)}


def layer_angles(W, X, y, cfg, state=None):
    """Angle (degrees) between each layer's update under the rule ``cfg.rule`` and
    backprop's update (the negative gradient of the quadratic cost), both averaged over the
    probe batch ``(X, y)``, with the weights ``W`` and the rule's ``state``: a list, one
    angle per weight matrix (``None`` where undefined).  0 degrees: the rule moves that
    layer exactly downhill; below 90: it still descends the cost.

    ``cfg`` is a ``gtp.engine.training.TrainConfig`` (or any object with its fields).  Every
    rule's last layer gets backprop's update, so its angle is 0.  Used by
    ``gtp.engine.training.train`` (the per-epoch ``"angle"`` of the record).
    """
    rule = get_rule(cfg.rule)
    if rule.deltas is None:
        raise ValueError(f"rule {cfg.rule!r}: its registry entry has no deltas function, so "
                         f"its update cannot be compared with backprop's")
    with np.errstate(over="ignore", invalid="ignore"):
        zs, ys, d = rule.deltas(W, X, y, cfg, state)
        d_bp = backprop_deltas(W, zs, ys, check_labels(y, W[-1].shape[0], X), cfg.acts)
    return update_angles(d, d_bp, ys)
