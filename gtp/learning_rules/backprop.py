"""Backprop SGD on the same quadratic cost (the baseline): the registry entry and the fast
kernel.  The maths in full is ``gtp.rules.backprop_deltas``."""
from ..rules import backprop_step
from . import Rule


def reference_step(W, x, label, cfg):
    backprop_step(W, x, label, cfg.eta, cfg.acts)


def hidden_deltas(net, labels):
    """Chain rule: d[l-1] = (W_l^T d[l]) * f'(z_l), top-down (1-D or 2-D buffers)."""
    d, fp = net.d, net.fp
    for l in range(net.L - 1, 0, -1):
        net.back(l, d[l], d[l - 1])
        d[l - 1] *= fp[l]


RULE = Rule(
    name="backprop", label="backprop", colour="#000000", hyper=(),
    reference_step=reference_step, hidden_deltas=hidden_deltas, signal="gradient",
    choices=(("backprop", "backprop (same cost)", {}),), baseline=True,
    doc="Stochastic gradient descent on 1/2 ||onehot - y_L||^2, gradients by the chain rule.")
