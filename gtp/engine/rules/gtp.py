"""Gradient target propagation (Algorithm 1; eq. 3, 4, 5, 32): the registry entry and the
fast kernel.  The maths in full is ``gtp.targets`` and ``gtp.maths.updates.gtp_updates``."""
import numpy as np

from ...maths.network import forward
from ...maths.targets import targets
from ...maths.updates import gtp_step, local_deltas
from . import Rule, SearchSpace


def reference_step(W, x, label, cfg):
    gtp_step(W, x, label, cfg.tau, cfg.eta, cfg.steps, cfg.start, cfg.acts)


def deltas(W, x, label, cfg, state=None):
    """Forward pass and GTP's local signals (yhat_{l+1} - y_{l+1}) * f'(z_{l+1}) (eq. 5)."""
    zs, ys = forward(W, x, cfg.acts)
    yhat = targets(W, zs, ys, label, cfg.tau, cfg.steps, cfg.start, cfg.acts)
    return zs, ys, local_deltas(W, zs, ys, yhat, cfg.acts)


def hidden_deltas(net, labels):
    """Targets top-down by ``net.steps`` Euler steps of eq. 32, then the local deltas
    d[l-1] = (yhat_l - y_l) * f'(z_l) of eq. 5 (1-D buffers: one example; 2-D: a batch).

    ``net.d[L-1]`` already holds the output delta; yhat_L is the one-hot label.
    """
    d, y, fp, yhat = net.d, net.y, net.fp, net.yhat
    net.one_hot(yhat[net.L], labels)
    for l in range(net.L - 1, 0, -1):
        tau, yh = net.taus[l - 1], yhat[l]
        # first Euler step: the gradient at the forward activation is -W_l^T d[l]
        if net.start == "zero":
            net.back(l, d[l], yh, alpha=tau)
        else:
            yh[...] = y[l]
            net.back(l, d[l], yh, alpha=tau, beta=1.0)
        if net.steps > 1:      # steps 2..T evaluate the gradient at the current target
            zz, yy, ff = net.scratch(l + 1)
            for _ in range(net.steps - 1):
                net.forward_layer(l, yh, zz)
                net.acts[l](zz, yy, ff)
                np.subtract(yhat[l + 1], yy, out=yy)
                yy *= ff
                net.back(l, yy, yh, alpha=tau, beta=1.0)
        np.subtract(yh, y[l], out=d[l - 1])
        d[l - 1] *= fp[l]


def search_space(row):
    """tau and eta one decade either side of the row's printed values, and the gain
    compensation in [0, 1] (``layer_etas``)."""
    return {"tau": (np.log10(row.tau) - 1, np.log10(row.tau) + 1, True),
            "eta": (np.log10(row.eta) - 1, np.log10(row.eta) + 1, True),
            "gain": (0.0, 1.0, False)}


def layer_etas(L, params):
    """``eta_l = eta * tau^(-gain (L-1-l))``: gain 1 undoes the tau^(L-1-l) factor that the
    zero start and one Euler step give the update of W_l (Theory, eq. 14-16, 48-51)."""
    return [params["eta"] * params["tau"] ** (-params["gain"] * (L - 1 - i)) for i in range(L)]


def anchor(row, ranges):
    """The printed setting of the row (one eta for every layer)."""
    return {"tau": float(row.tau), "eta": float(row.eta), "gain": 0.0}


def published(row):
    """The paper's printed tau and eta (one eta for every layer) with the paper's activations
    (ReLU first hidden layer, section 4) and with sigmoid everywhere (the authors' code)."""
    p = anchor(row, None)
    return [("printed, paper's activations", dict(p, acts="paper")),
            ("printed, sigmoid everywhere", dict(p, acts="sigmoid"))]


RULE = Rule(
    name="gtp", label="GTP", colour="#0072B2", hyper=("tau", "steps", "start"),
    reference_step=reference_step, hidden_deltas=hidden_deltas, signal="target",
    choices=(("gtp-zero", "GTP, zero start (authors' code)", {"start": "zero"}),
             ("gtp-activation", "GTP, activation start (eq. 3)", {"start": "activation"})),
    search=SearchSpace(search_space, layer_etas, anchor, config=("tau",), published=published),
    deltas=deltas,
    doc="Gradient target propagation: every layer descends its local cost towards targets "
        "computed by Euler steps (eq. 3-5, 32).")
