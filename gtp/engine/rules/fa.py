"""Feedback alignment (Lillicrap et al. 2016): the hidden error signals travel back through
fixed random matrices ``B_l`` instead of the transposed forward weights ``W_l^T``.  The
maths in full is ``gtp.maths.relatives_maths.fa_deltas``.

State: ``"B1" .. "B{L-1}"``, ``B_l`` of shape (n_l, n_{l+1}) (the shape of ``W_l^T``), drawn
once from the run's state stream (``gtp.engine.training.state_rng``) with the distribution of
``W_l^T`` under the run's ``init`` scheme (a fresh, independent draw): at the start the
feedback has the scale of the forward weights, so FA's first hidden signals have the
scale of backprop's, and the learning-rate search around backprop's centre is fair.
"""
import numpy as np

from ...maths.initialisation import init_weights
from ...maths.network import forward
from ...maths.relatives_maths import fa_deltas
from ...maths.updates import apply_updates, outer
from ...maths.validation import per_layer
from . import Rule, SearchSpace
from . import backprop as _bp


def init_state(sizes, rng, cfg):
    """``B_l ~`` the distribution of ``W_l^T`` (l = 1..L-1), in ``cfg.dtype``."""
    Ws = init_weights(sizes, cfg.init, rng=rng)
    return {f"B{l}": np.ascontiguousarray(Ws[l].T, dtype=cfg.dtype) for l in range(1, len(Ws))}


def feedback(state, L):
    """``{l: B_l}`` for l = 1..L-1."""
    return {l: state[f"B{l}"] for l in range(1, L)}


def deltas(W, x, label, cfg, state):
    zs, ys = forward(W, x, cfg.acts)
    return zs, ys, fa_deltas(W, zs, ys, label, feedback(state, len(W)), cfg.acts)


def updates(W, x, label, cfg, state):
    """``eta_l d[l] y_l^T`` with the FA signals."""
    _, ys, d = deltas(W, x, label, cfg, state)
    return [e * outer(dl, ys[l]) for l, (e, dl) in enumerate(zip(per_layer(cfg.eta, len(W), "eta"), d))]


def reference_step(W, x, label, cfg, state):
    apply_updates(W, updates(W, x, label, cfg, state))


def hidden_deltas(net, labels):
    """d[l-1] = (B_l d[l]) * f'(z_l), top-down (1-D or 2-D buffers)."""
    d, fp, S = net.d, net.fp, net.state
    for l in range(net.L - 1, 0, -1):
        net.apply(S[f"B{l}"], d[l], d[l - 1])
        d[l - 1] *= fp[l]


RULE = Rule(
    name="fa", label="feedback alignment", colour="#E69F00", hyper=(),
    reference_step=reference_step, hidden_deltas=hidden_deltas, signal="gradient",
    search=SearchSpace(_bp.search_space, _bp.layer_etas, _bp.anchor),
    part="relatives", deltas=deltas, init_state=init_state,
    doc="Feedback alignment: backprop's chain rule with fixed random feedback matrices B_l "
        "in place of W_l^T (Lillicrap et al. 2016).")
