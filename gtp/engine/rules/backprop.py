"""Backprop SGD on the same quadratic cost (the baseline): the registry entry and the fast
kernel.  The maths in full is ``gtp.maths.updates.backprop_deltas``."""
import numpy as np

from ...maths.network import forward
from ...maths.updates import backprop_deltas, backprop_step
from ...maths.validation import check_labels
from . import Rule, SearchSpace, log_centre

#: centre of the learning-rate range per data set (the middle of the v1 grids)
ETA_CENTRE = {"mnist": 0.1, "fashion-mnist": 0.1, "cifar-10": 0.03}


def reference_step(W, x, label, cfg):
    backprop_step(W, x, label, cfg.eta, cfg.acts)


def deltas(W, x, label, cfg, state=None):
    """Forward pass and backprop's signals -dC/dz_{l+1} (``gtp.maths.updates.backprop_deltas``)."""
    zs, ys = forward(W, x, cfg.acts)
    return zs, ys, backprop_deltas(W, zs, ys, check_labels(label, W[-1].shape[0], x), cfg.acts)


def hidden_deltas(net, labels):
    """Chain rule: d[l-1] = (W_l^T d[l]) * f'(z_l), top-down (1-D or 2-D buffers)."""
    d, fp = net.d, net.fp
    for l in range(net.L - 1, 0, -1):
        net.back(l, d[l], d[l - 1])
        d[l - 1] *= fp[l]


def search_space(row):
    """eta one decade either side of ``ETA_CENTRE``, and a per-layer factor k in [0.1, 10]."""
    c = np.log10(ETA_CENTRE.get(row.dataset, 0.1))
    return {"eta": (c - 1, c + 1, True), "k": (-1.0, 1.0, True)}


def layer_etas(L, params):
    """``eta_l = eta * k^(L-1-l)``."""
    return [params["eta"] * params["k"] ** (L - 1 - i) for i in range(L)]


def anchor(row, ranges):
    """The centre of the ranges."""
    return log_centre(ranges)


def published(row):
    """Conventional SGD settings, as many as GTP's published ones: one learning rate for every
    layer (k = 1) at the centre of the range (``ETA_CENTRE``, the middle of the v1 grid),
    with the paper's activations and with sigmoid everywhere."""
    p = {"eta": float(ETA_CENTRE.get(row.dataset, 0.1)), "k": 1.0}
    return [("conventional, paper's activations", dict(p, acts="paper")),
            ("conventional, sigmoid everywhere", dict(p, acts="sigmoid"))]


RULE = Rule(
    name="backprop", label="backprop", colour="#000000", hyper=(),
    reference_step=reference_step, hidden_deltas=hidden_deltas, signal="gradient",
    choices=(("backprop", "backprop (same cost)", {}),), baseline=True,
    search=SearchSpace(search_space, layer_etas, anchor, published=published), deltas=deltas,
    doc="Stochastic gradient descent on 1/2 ||onehot - y_L||^2, gradients by the chain rule.")
