"""GTP's relatives, the maths written for reading: feedback alignment, direct feedback
alignment, target propagation and difference target propagation on the networks of eq. 1
(no biases: z_{l+1} = W_l y_l, y_{l+1} = f(z_{l+1})), with the quadratic cost of eq. 4.

Notation (``gtp.maths.network``): ``W[l]`` maps layer l to layer l+1, ``ys[l]`` is layer l's
activity, ``zs[l]`` its pre-activation; ``d[l]`` is the error signal into layer l+1, and
every rule here changes ``W[l]`` by ``eta_l d[l] y_l^T`` (the batch mean for a
mini-batch), like GTP (eq. 5) and backprop.  The output signal ``d[L-1] = (onehot -
y_L) * f'(z_L)`` is backprop's in every rule; the rules differ in the hidden signals.

* Feedback alignment (Lillicrap et al. 2016, the hidden update ``delta h = B e`` in place of
  ``W^T e``): ``d[l-1] = (B_l d[l]) * f'(z_l)``, with a fixed random ``B_l`` of the shape of
  ``W_l^T``, (n_l, n_{l+1}).  With ``B_l = W_l^T`` it is backprop.
* Direct feedback alignment (Nokland 2016, eq. 5 for the error ``e``, section 2 for the DFA
  signals ``delta a_i = (B_i e) * f'(a_i)``): the output error ``e = d[L-1]`` (the gradient at
  the output pre-activation, as in Nokland's eq. 5) goes to every hidden layer l through a
  fixed random ``B_l`` of shape (n_l, n_L): ``d[l-1] = (B_l e) * f'(z_l)``.  With one hidden
  layer and ``B_1 = W_1^T`` it is backprop.
* Target propagation (Lee et al. 2015, section 2; Bengio 2014): the last hidden layer gets
  the target ``yhat_{L-1} = y_{L-1} - eta_hat dC/dy_{L-1} = y_{L-1} + eta_hat W_{L-1}^T
  d[L-1]`` (Algorithm 1 of Lee et al., "making the first target"; it is one Euler step of
  GTP's eq. 32 from the activation start with tau = eta_hat), lower layers
  ``yhat_k = g_k(yhat_{k+1})`` through learned approximate inverses ``g_k`` of the layers.
* Difference target propagation (Lee et al. 2015, section 3 and Algorithm 1):
  ``yhat_k = y_k + g_k(yhat_{k+1}) - g_k(y_{k+1})``: the difference correction makes
  ``yhat_k = y_k`` whenever ``yhat_{k+1} = y_{k+1}``, even for an imperfect inverse.
  Both target rules then train every hidden layer on its local cost
  1/2 ||yhat_l - y_l||^2 (the layer-local loss of Lee et al.; GTP's eq. 4-5 form):
  ``d[l-1] = (yhat_l - y_l) * f'(z_l)``.

Inverses.  ``g_k`` inverts layer k -> k+1 (``W[k]``), mapping layer k+1 back to layer k, for
k = 1..L-2 (Lee et al.'s g_i with i = k+1: the input layer and the top hidden layer need
none): ``g_k(h) = s_k(V_k h + c_k)``, with ``s_k`` the activation of layer k when it is a
sigmoid (so the reconstruction lives where y_k lives) and no activation (an affine
inverse) when layer k is a ReLU (``inverse_activation``), a weight ``V_k`` of shape
(n_k, n_{k+1}) and a bias ``c_k`` (n_k,).  Why not a ReLU: the corrupted activities it
must reconstruct are negative wherever y_k = 0, which a ReLU cannot output, so its units
are pushed below 0, where they get no gradient, and die (measured with a ReLU inverse on
MNIST 784-500-500-10, "paper" activations: after one epoch on 10,000 examples the first
layer's update was exactly zero on the probe batch, its target having collapsed onto its
activity; with the affine inverse it keeps learning).  The forward layers have no biases (eq. 1); the inverses get one, as in
the authors' code (``G = tanh(dot(x, V) + C)``), since an inverse of a bias-free sigmoid
layer must shift its input.  ``g_k`` is trained on the noise-corrupted reconstruction
cost of Lee et al. (Algorithm 1, "training feedback (inverse) mapping"; ``gaussian(H, c)``
in the code)::

    r = y_k + sigma eps, eps ~ N(0, I);  L_inv = 1/2 || g_k(f_{k+1}(W_k r)) - r ||^2

by one gradient step ``V_k += eta_inv delta (f_{k+1}(W_k r))^T``, ``c_k += eta_inv delta``
with ``delta = (r - g_k(.)) * s_k'(V_k f_{k+1}(W_k r) + c_k)`` per training step (batch
mean), with the weights of that step, before they change (Algorithm 1 updates the inverses,
then the forward weights).  The authors' code instead alternates a whole epoch of
inverse training with a whole epoch of forward training, with RMSprop; here every rule
uses plain SGD per step, so the comparison is on equal terms.
"""
import numpy as np

from .activations import get_activation, resolve_activations
from .network import forward, one_hot
from .updates import cosine, local_deltas, outer
from .validation import check_labels

__all__ = ["fa_deltas", "dfa_deltas", "inverse_activation", "inverse", "top_target", "propagate_targets",
           "inverse_functions", "target_deltas", "inverse_deltas", "reconstruction_loss",
           "angle", "update_angles"]


def _output_delta(zs, ys, label, names):
    """Backprop's output signal (onehot - y_L) * f'(z_L) (every rule here shares it)."""
    L = len(ys) - 1
    return (one_hot(label, ys[L].shape[-1], ys[L].dtype) - ys[L]) * \
        get_activation(names[-1])[1](zs[L])


def fa_deltas(W, zs, ys, label, B, acts="sigmoid"):
    """Feedback alignment (Lillicrap et al. 2016): ``d[l-1] = (B_l d[l]) * f'(z_l)``, top-down,
    with ``B[l]`` (shape (n_l, n_{l+1}), l = 1..L-1; ``B[0]`` unused) in place of ``W_l^T``.

    ``B`` is a dict or list indexed by the weight index l.  Returns d[0..L-1]."""
    names = resolve_activations(acts, len(W))
    L = len(W)
    d = [None] * L
    d[L - 1] = _output_delta(zs, ys, label, names)
    for l in range(L - 1, 0, -1):
        d[l - 1] = (d[l] @ np.asarray(B[l]).T) * get_activation(names[l - 1])[1](zs[l])
    return d


def dfa_deltas(W, zs, ys, label, B, acts="sigmoid"):
    """Direct feedback alignment (Nokland 2016, section 2): ``d[l-1] = (B_l e) * f'(z_l)``
    for every hidden layer l = 1..L-1, with the output error ``e = d[L-1]`` (Nokland's
    eq. 5: the gradient at the output pre-activation) and ``B[l]`` of shape (n_l, n_L)."""
    names = resolve_activations(acts, len(W))
    L = len(W)
    e = _output_delta(zs, ys, label, names)
    return [(e @ np.asarray(B[l + 1]).T) * get_activation(names[l])[1](zs[l + 1])
            for l in range(L - 1)] + [e]


def inverse_activation(act):
    """``(s, s')`` of an inverse into a layer with activation ``act``: the sigmoid for a
    sigmoid layer, the identity (an affine inverse) for a ReLU layer (module docstring)."""
    if act == "relu":
        return (lambda z: z), np.ones_like
    return get_activation(act)


def inverse(V, c, h, act="sigmoid"):
    """The learned approximate inverse ``g(h) = s(V h + c)`` into a layer with activation
    ``act`` (``inverse_activation``), for one example or a batch."""
    return inverse_activation(act)[0](h @ np.asarray(V).T + c)


def top_target(W, zs, ys, label, eta_hat, acts="sigmoid"):
    """The first target (Lee et al. 2015, Algorithm 1): ``yhat_{L-1} = y_{L-1} - eta_hat
    dC/dy_{L-1} = y_{L-1} + eta_hat W_{L-1}^T d[L-1]`` for the quadratic output cost."""
    names = resolve_activations(acts, len(W))
    return ys[-2] + eta_hat * (_output_delta(zs, ys, label, names) @ W[-1])


def propagate_targets(ys, top, inverses, difference=True):
    """Targets of the hidden layers, top-down: ``yhat[L-1] = top``, then for k = L-2..1
    ``yhat_k = y_k + g_k(yhat_{k+1}) - g_k(y_{k+1})`` (difference target propagation, Lee
    et al. 2015, section 3) or ``yhat_k = g_k(yhat_{k+1})`` (``difference=False``: target
    propagation).  ``inverses[k]`` is any callable ``g_k`` from layer k+1 to layer k (exact
    or learned).  Returns a list of length L+1 with ``None`` at 0 and L."""
    L = len(ys) - 1
    yhat = [None] * (L + 1)
    yhat[L - 1] = top
    for k in range(L - 2, 0, -1):
        g = inverses[k]
        yhat[k] = ys[k] + g(yhat[k + 1]) - g(ys[k + 1]) if difference else g(yhat[k + 1])
    return yhat


def inverse_functions(state, acts, L):
    """The learned inverses ``{k: g_k}`` of a DTP/TP state (``V{k}``, ``c{k}``, k = 1..L-2)."""
    names = resolve_activations(acts, L)
    return {k: (lambda h, k=k: inverse(state[f"V{k}"], state[f"c{k}"], h, names[k - 1]))
            for k in range(1, L - 1)}


def target_deltas(W, x, label, eta_hat, inverses, acts="sigmoid", difference=True):
    """Forward pass, targets and error signals of (difference) target propagation:
    ``d[l-1] = (yhat_l - y_l) * f'(z_l)`` on every hidden layer (the local cost of eq. 4),
    backprop's output signal on the last.  Returns ``(zs, ys, yhat, d)``."""
    zs, ys = forward(W, x, acts)
    lab = check_labels(label, W[-1].shape[0], x)
    L = len(W)
    yhat = propagate_targets(ys, top_target(W, zs, ys, lab, eta_hat, acts) if L > 1 else None,
                             inverses, difference)
    yhat[L] = one_hot(lab, ys[L].shape[-1], ys[L].dtype)
    return zs, ys, yhat, local_deltas(W, zs, ys, yhat, acts)


def inverse_deltas(W, V, c, y, eps, sigma, k, acts="sigmoid"):
    """The inverse's error signal for its noise-corrupted reconstruction cost (Lee et al.
    2015, Algorithm 1): ``r = y_k + sigma eps``, ``h = f_{k+1}(W_k r)``,
    ``delta = (r - g_k(h)) * s_k'(V_k h + c_k)``; the update is ``V_k += eta_inv delta h^T``,
    ``c_k += eta_inv delta`` (batch means).  Returns ``(delta, h)``."""
    names = resolve_activations(acts, len(W))
    f_next = get_activation(names[k])[0]
    s, sp = inverse_activation(names[k - 1])
    r = y + sigma * eps
    h = f_next(r @ W[k].T)
    zg = h @ np.asarray(V).T + c
    return (r - s(zg)) * sp(zg), h


def reconstruction_loss(W, state, X, acts="sigmoid"):
    """Mean over ``X`` of 1/2 ||g_k(f_{k+1}(W_k y_k)) - y_k||^2 for every learned inverse
    k = 1..L-2 (no noise): how well the inverses invert the current layers.  ``{k: loss}``."""
    _, ys = forward(W, X, acts)
    g = inverse_functions(state, acts, len(W))
    names = resolve_activations(acts, len(W))
    out = {}
    for k in g:
        rec = g[k](get_activation(names[k])[0](ys[k] @ W[k].T))
        out[k] = float(0.5 * np.mean(np.sum((rec - ys[k]).astype(np.float64) ** 2, axis=-1)))
    return out


def angle(a, b):
    """The angle in degrees between two updates seen as flat vectors, in float64 (``None`` if
    either is zero or not finite): ``2 atan2(|u - v|, |u + v|)`` with u, v the unit vectors,
    accurate near 0 and 180 degrees, where ``arccos`` of the cosine (``gtp.maths.updates.cosine``)
    loses half the digits."""
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    if np.isnan(cosine(a, b)):
        return None
    u, v = a / np.linalg.norm(a), b / np.linalg.norm(b)
    return float(np.degrees(2 * np.arctan2(np.linalg.norm(u - v), np.linalg.norm(u + v))))


def update_angles(d, d_bp, ys):
    """Per-layer angles (degrees) between the updates ``d[l] y_l^T`` and ``d_bp[l] y_l^T``
    (batch means), ``None`` where one is zero or not finite."""
    return [angle(outer(d[l], ys[l]), outer(d_bp[l], ys[l])) for l in range(len(d))]
