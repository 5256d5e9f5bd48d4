"""Direct feedback alignment (Nokland 2016): the output error is sent straight to every
hidden layer through its own fixed random matrix.  The maths in full is
``gtp.maths.relatives_maths.dfa_deltas``.

State: ``"B1" .. "B{L-1}"``, ``B_l`` of shape (n_l, n_L), drawn once from the run's state
stream (``gtp.engine.training.state_rng``) with i.i.d. normal entries of the variance that the run's
``init`` scheme gives the output layer ``W_{L-1}`` (so the top hidden layer's feedback has
the scale of ``W_{L-1}^T``, as in feedback alignment).
"""
import numpy as np

from ...maths.initialisation import layer_variances
from ...maths.network import forward
from ...maths.relatives_maths import dfa_deltas
from ...maths.updates import apply_updates, outer
from ...maths.validation import per_layer
from . import Rule, SearchSpace
from . import backprop as _bp
from .fa import feedback  # the same state layout: B_l for l = 1..L-1


def init_state(sizes, rng, cfg):
    """``B_l`` (n_l, n_L), l = 1..L-1: i.i.d. Normal(0, var), ``var`` the variance the run's
    ``init`` scheme gives the entries of ``W_{L-1}``."""
    L = len(sizes) - 1
    var = 0.01 ** 2 if cfg.init == "normal" else layer_variances(sizes, cfg.init)[-1]
    return {f"B{l}": (np.sqrt(var) * rng.standard_normal((sizes[l], sizes[L]))).astype(cfg.dtype)
            for l in range(1, L)}


def deltas(W, x, label, cfg, state):
    zs, ys = forward(W, x, cfg.acts)
    return zs, ys, dfa_deltas(W, zs, ys, label, feedback(state, len(W)), cfg.acts)


def reference_step(W, x, label, cfg, state):
    _, ys, d = deltas(W, x, label, cfg, state)
    apply_updates(W, [e * outer(dl, ys[l]) for l, (e, dl) in
                      enumerate(zip(per_layer(cfg.eta, len(W), "eta"), d))])


def hidden_deltas(net, labels):
    """d[l-1] = (B_l e) * f'(z_l) for every hidden layer, e = d[L-1] (1-D or 2-D buffers)."""
    d, fp, S, L = net.d, net.fp, net.state, net.L
    for l in range(1, L):
        net.apply(S[f"B{l}"], d[L - 1], d[l - 1])
        d[l - 1] *= fp[l]


RULE = Rule(
    name="dfa", label="direct feedback alignment", colour="#009E73", hyper=(),
    reference_step=reference_step, hidden_deltas=hidden_deltas, signal="gradient",
    search=SearchSpace(_bp.search_space, _bp.layer_etas, _bp.anchor),
    part="relatives", deltas=deltas, init_state=init_state,
    doc="Direct feedback alignment: the output error reaches every hidden layer through its "
        "own fixed random matrix (Nokland 2016).")
