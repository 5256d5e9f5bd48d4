"""Difference target propagation (Lee et al. 2015, Algorithm 1 and section 3): targets from
a gradient step at the top, carried down by learned approximate inverses with the
difference correction ``yhat_k = y_k + g_k(yhat_{k+1}) - g_k(y_{k+1})``; every hidden layer
descends its local cost 1/2 ||yhat_l - y_l||^2, and the inverses learn by reconstructing
noise-corrupted activities.  The maths in full is ``gtp.maths.relatives_maths`` (its docstring gives
the equations, the inverses' form and what differs from the authors' code).

Hyper-parameters (``TrainConfig`` fields): ``eta`` (the forward learning rates, as every
rule), ``eta_hat`` (the step of the first target, Lee et al.'s eta-hat), ``eta_inv`` (the
inverses' SGD learning rate) and ``sigma`` (the standard deviation of the corruption noise).

State: for k = 1..L-2, ``"V{k}"`` (n_k, n_{k+1}) and ``"c{k}"`` (n_k,), the inverse
``g_k(h) = s_k(V_k h + c_k)`` of layer k -> k+1 (s_k: the sigmoid into a sigmoid layer,
none into a ReLU layer; ``gtp.maths.relatives_maths.inverse_activation``); ``V_k`` starts Normal(0, 8/(3 n_{k+1}))
(the paper's eq. 10 for a layer fed by n_{k+1} sigmoid units), ``c_k`` at 0 (as the authors'
code); and ``"rng"``, the generator of the corruption noise (saved in checkpoints, so a
resumed run draws the same noise).  A network with one hidden layer needs no inverse.
"""
import numpy as np

from ...maths.initialisation import weight_var
from ...maths.relatives_maths import inverse_deltas, inverse_functions, target_deltas
from ...maths.updates import apply_updates, outer
from ...maths.validation import DivergenceError, per_layer
from . import Rule, SearchSpace
from . import backprop as _bp

#: centre of the top-target step's range (one decade either side).  Not a published value for
#: this cost: Lee et al.'s code (conti_dtp.py) uses lr0 = 0.3277, but it multiplies the
#: gradient of the *mean* NLL of a batch of 100, i.e. about 0.0033 per example of their
#: cost, with softmax outputs; here the step multiplies the gradient of one example's
#: quadratic cost through sigmoid outputs, whose size differs.  The v2 searches chose eta_hat
#: 0.17-0.64 on all four networks, inside the range and away from its edges
#: (tests/test_corrections.py), so the range covers what this cost needs.
ETA_HAT_CENTRE = 0.33
#: centre of the noise's range: Lee et al.'s 0.36 for tanh units in (-1, 1), halved for
#: activities in (0, 1)
SIGMA_CENTRE = 0.18
#: centre of the inverses' learning rate: an affine inverse (into a ReLU layer) is a linear
#: regression on n_{k+1} inputs in (0, 1), stable by SGD only for eta_inv < 2 / |h|^2, about
#: 0.016 for 500 units (measured, MNIST 784-500-500-10, 5,000 examples: 0.1 diverges, 0.01
#: and 0.003 learn, 89.3 % and 89.9 % validation accuracy after one pass)
ETA_INV_CENTRE = 0.01
DEFAULTS = (("eta_hat", ETA_HAT_CENTRE), ("eta_inv", ETA_INV_CENTRE), ("sigma", SIGMA_CENTRE))
HYPER = ("eta_hat", "eta_inv", "sigma")


def _identity(z, y, fp):
    """The in-place activation of an affine inverse (into a ReLU layer): y = z, fp = 1."""
    if y is not z:
        y[...] = z
    fp[...] = 1.0


def _inverse_act(net, k):
    """The in-place activation of g_k (``gtp.maths.relatives_maths.inverse_activation``)."""
    return _identity if net.names[k - 1] == "relu" else net.acts[k - 1]


def init_state(sizes, rng, cfg):
    """The inverses ``V{k}``, ``c{k}`` (k = 1..L-2) and the noise generator ``rng``."""
    L = len(sizes) - 1
    state = {}
    for k in range(1, L - 1):
        v = np.sqrt(weight_var(int(sizes[k + 1]))) * rng.standard_normal((sizes[k], sizes[k + 1]))
        state[f"V{k}"] = v.astype(cfg.dtype)
        state[f"c{k}"] = np.zeros(sizes[k], dtype=cfg.dtype)
    state["rng"] = np.random.default_rng(rng.integers(2 ** 63))
    return state


def deltas(W, x, label, cfg, state, difference=True):
    zs, ys, _, d = target_deltas(W, x, label, cfg.eta_hat, inverse_functions(state, cfg.acts, len(W)),
                                 cfg.acts, difference)
    return zs, ys, d


def reference_step(W, x, label, cfg, state, difference=True):
    """Targets and deltas with the weights and inverses of the step; then the inverses learn
    (noise drawn from ``state["rng"]``, k = 1..L-2 in order), then the forward weights."""
    L = len(W)
    _, ys, d = deltas(W, x, label, cfg, state, difference)
    dW = [e * outer(dl, ys[l]) for l, (e, dl) in enumerate(zip(per_layer(cfg.eta, L, "eta"), d))]
    for l, u in enumerate(dW):
        if not np.all(np.isfinite(u)):
            raise DivergenceError(f"the target signal into layer {l + 1} is not finite; try a "
                                  f"smaller eta_hat or eta")
    for k in range(1, L - 1):
        V, c = state[f"V{k}"], state[f"c{k}"]
        eps = state["rng"].standard_normal(np.shape(ys[k]), dtype=V.dtype)
        delta, h = inverse_deltas(W, V, c, ys[k], eps, cfg.sigma, k, cfg.acts)
        if not np.all(np.isfinite(delta)):
            raise DivergenceError(f"the inverse g_{k} diverged; try a smaller eta_inv or sigma")
        V += (cfg.eta_inv * outer(delta, h)).astype(V.dtype, copy=False)
        c += (cfg.eta_inv * (delta if delta.ndim == 1 else delta.mean(axis=0))).astype(c.dtype, copy=False)
    apply_updates(W, dW)


def target_kernel(net, labels, difference=True):
    """Targets top-down, then d[l-1] = (yhat_l - y_l) * f'(z_l) (1-D or 2-D buffers)."""
    d, y, fp, yhat, S, L = net.d, net.y, net.fp, net.yhat, net.state, net.L
    if L < 2:
        return
    yhat[L - 1][...] = y[L - 1]              # yhat_{L-1} = y_{L-1} + eta_hat W_{L-1}^T d[L-1]
    net.back(L - 1, d[L - 1], yhat[L - 1], alpha=net.params["eta_hat"], beta=1.0)
    for k in range(L - 2, 0, -1):
        zz, gy, ff = net.scratch(k)
        V, c, act = S[f"V{k}"], S[f"c{k}"], _inverse_act(net, k)
        if difference:                       # yhat_k = y_k + g_k(yhat_{k+1}) - g_k(y_{k+1})
            net.apply(V, y[k + 1], zz)
            zz += c
            act(zz, yhat[k], ff)
            net.apply(V, yhat[k + 1], zz)
            zz += c
            act(zz, gy, ff)
            np.subtract(gy, yhat[k], out=yhat[k])
            yhat[k] += y[k]
        else:                                # yhat_k = g_k(yhat_{k+1})
            net.apply(V, yhat[k + 1], zz)
            zz += c
            act(zz, yhat[k], ff)
    for l in range(1, L):
        np.subtract(yhat[l], y[l], out=d[l - 1])
        d[l - 1] *= fp[l]


def hidden_deltas(net, labels):
    target_kernel(net, labels, difference=True)


def update_state(net, X):
    """One SGD step of every inverse on its noise-corrupted reconstruction cost, with the
    weights of the step (before they change)."""
    S, y, p = net.state, net.y, net.params
    for k in range(1, net.L - 1):
        V, c = S[f"V{k}"], S[f"c{k}"]
        r, g, gp = net.scratch(k)
        zn, h, hp = net.scratch(k + 1)
        S["rng"].standard_normal(dtype=r.dtype, out=r)
        r *= p["sigma"]
        r += y[k]                            # r = y_k + sigma eps
        net.forward_layer(k, r, zn)
        net.acts[k](zn, h, hp)               # h = f_{k+1}(W_k r)
        net.apply(V, h, g)
        g += c
        _inverse_act(net, k)(g, g, gp)       # g_k(h), s_k' at V_k h + c_k
        np.subtract(r, g, out=g)
        g *= gp                              # delta = (r - g_k(h)) * s_k'
        if not np.isfinite(g).all():
            raise DivergenceError(f"the inverse g_{k} diverged; try a smaller eta_inv or sigma")
        net.outer_update(V, p["eta_inv"], g, h)
        c += p["eta_inv"] * (g if g.ndim == 1 else g.mean(axis=0))


def search_space(row):
    """Backprop's eta and k ranges, eta_hat one decade either side of 0.33 (``ETA_HAT_CENTRE``),
    eta_inv one decade either side of 0.01 (``ETA_INV_CENTRE``; the authors' RMSprop rate
    does not transfer to SGD), sigma half a decade either side of 0.18."""
    ci = np.log10(ETA_INV_CENTRE)
    return dict(_bp.search_space(row),
                eta_hat=(np.log10(ETA_HAT_CENTRE) - 1, np.log10(ETA_HAT_CENTRE) + 1, True),
                eta_inv=(ci - 1, ci + 1, True),
                sigma=(np.log10(SIGMA_CENTRE) - 0.5, np.log10(SIGMA_CENTRE) + 0.5, True))


SEARCH = SearchSpace(search_space, _bp.layer_etas, _bp.anchor, config=HYPER)

RULE = Rule(
    name="dtp", label="difference target propagation", colour="#CC3311", hyper=HYPER,
    reference_step=reference_step, hidden_deltas=hidden_deltas, signal="target",
    search=SEARCH, part="relatives", deltas=deltas, init_state=init_state,
    update_state=update_state, defaults=DEFAULTS,
    doc="Difference target propagation: targets through learned inverses with the difference "
        "correction, layer-local costs (Lee et al. 2015).")
