"""Gradient targets (section 3.1, Algorithm 1; eq. 3, 4 and 32 of Appendix B).

The target of the output layer is the one-hot label.  The target of a hidden
layer l is the long-time solution of the ODE (eq. 3)

    dy_l/dt = -dC_{l+1}/dy_l,   C_{l+1} = 1/2 ||yhat_{l+1} - f(W_l y_l)||^2   (eq. 4)

approximated by ``steps`` explicit Euler steps of size ``tau`` (eq. 32).
Targets are computed top-down: yhat_L, yhat_{L-1}, ..., yhat_1.
"""
import numpy as np

from .activations import get_activation, resolve_activations
from .network import one_hot
from .validation import DivergenceError, check_labels, check_steps, check_tau

__all__ = ["START_POINTS", "local_cost", "local_cost_grad", "euler_target", "targets"]

START_POINTS = ("zero", "activation")


def local_cost(w, y, yhat_next, act="sigmoid"):
    """Local quadratic cost C_{l+1}(y) = 1/2 sum_i (yhat_{l+1,i} - f(W_l y)_i)^2 (eq. 4).

    For a batch, one cost per example is returned (shape ``(batch,)``).
    """
    f, _ = get_activation(act)
    d = yhat_next - f(y @ w.T)
    return 0.5 * np.sum(d * d, axis=-1)


def local_cost_grad(w, y, yhat_next, act="sigmoid"):
    """Gradient of eq. 4 with respect to y_l:

        dC_{l+1}/dy_l = -W_l^T [ (yhat_{l+1} - f(W_l y_l)) * f'(W_l y_l) ].
    """
    f, fp = get_activation(act)
    z = y @ w.T
    return -((yhat_next - f(z)) * fp(z)) @ w


def euler_target(w, y_forward, yhat_next, act="sigmoid", tau=1.0, steps=1, start="zero",
                 trajectory=False):
    """Target of one hidden layer by ``steps`` explicit Euler steps (eq. 32).

    ``start="activation"``: y(0) = y_forward, then y(t) = y(t-1) - tau dC/dy(y(t-1)),
    the plain Euler integration of eq. 3 started at the forward activation.

    ``start="zero"`` (the authors' code, Appendix D): the accumulator starts at 0;
    the first step evaluates the gradient at the forward activation, later steps at
    the current target.  With one step, yhat = -tau dC/dy(y_forward) (eq. 39).

    With ``trajectory=True`` the list of all ``steps + 1`` iterates is returned
    (the first being the starting point: 0 or y_forward).  ``tau`` must be a finite
    number in (0, ``validation.TAU_MAX``] (1e6; the reason is there), else ValueError.
    """
    if start not in START_POINTS:
        raise ValueError(f"start: expected one of {START_POINTS}, got {start!r}")
    steps = check_steps(steps)
    tau = check_tau(tau, 1)[0]
    if start == "zero":
        point, yhat = y_forward, np.zeros_like(y_forward)
    else:
        point = yhat = y_forward
    path = [yhat]
    for _ in range(steps):
        yhat = yhat - tau * local_cost_grad(w, point, yhat_next, act)
        point = yhat
        path.append(yhat)
    return path if trajectory else yhat


def targets(W, zs, ys, label, tau, steps=1, start="zero", acts="sigmoid"):
    """All targets of Algorithm 1, top-down.  Returns a list of length L + 1.

    ``yhat[L]`` is the one-hot label, ``yhat[l]`` for 1 <= l < L the Euler target of
    hidden layer l, and ``yhat[0]`` the input itself (never used for learning).
    ``tau`` is a scalar or one value per hidden layer (``tau[l-1]`` for layer l), each in
    (0, ``validation.TAU_MAX``] and their product at most ``validation.GAIN_MAX``
    (``validation.check_tau``).  ``zs, ys`` come from ``forward``.  Raises ``DivergenceError`` naming the layer
    if a target is not finite.
    """
    L = len(W)
    names = resolve_activations(acts, L)
    taus = check_tau(tau, L)
    if start not in START_POINTS:
        raise ValueError(f"start: expected one of {START_POINTS}, got {start!r}")
    steps = check_steps(steps)
    lab = check_labels(label, W[-1].shape[0], ys[0])
    yhat = [None] * (L + 1)
    yhat[0] = ys[0]
    yhat[L] = one_hot(lab, W[-1].shape[0], ys[L].dtype)
    for l in range(L - 1, 0, -1):
        yhat[l] = euler_target(W[l], ys[l], yhat[l + 1], names[l], taus[l - 1], steps, start)
        if not np.all(np.isfinite(yhat[l])):
            raise DivergenceError(f"target of hidden layer {l} is not finite (tau={taus[l - 1]}, "
                                  f"steps={steps}); try a smaller tau for this layer")
    return yhat
