"""Target propagation without the difference correction (Bengio 2014; written as an algorithm
in Lee et al. 2015, section 2):
``yhat_k = g_k(yhat_{k+1})`` through the same learned inverses as DTP
(``gtp.engine.rules.dtp``: the same state, hyper-parameters, inverse training and search
space).  Shown to see what the correction does: with an imperfect inverse, TP moves a
layer even when the layer above is already at its target."""
from . import Rule
from . import dtp as _dtp


def deltas(W, x, label, cfg, state):
    return _dtp.deltas(W, x, label, cfg, state, difference=False)


def reference_step(W, x, label, cfg, state):
    _dtp.reference_step(W, x, label, cfg, state, difference=False)


def hidden_deltas(net, labels):
    _dtp.target_kernel(net, labels, difference=False)


RULE = Rule(
    name="tp", label="target propagation", colour="#882255", hyper=_dtp.HYPER,
    reference_step=reference_step, hidden_deltas=hidden_deltas, signal="target",
    search=_dtp.SEARCH, part="relatives", deltas=deltas, init_state=_dtp.init_state,
    update_state=_dtp.update_state, defaults=_dtp.DEFAULTS,
    doc="Target propagation: targets through learned inverses, no difference correction "
        "(Bengio 2014; Lee et al. 2015).")
