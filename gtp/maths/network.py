"""The feed-forward network of eq. 1: z_{l+1} = W[l] y_l, y_{l+1} = f_{l+1}(z_{l+1}), no biases.

Conventions used throughout ``gtp``:

* ``W`` is a list of ``L`` arrays; ``W[l]`` has shape ``(n_{l+1}, n_l)`` and maps
  layer ``l`` to layer ``l+1``.  Layer 0 is the input, layer ``L`` the output.
* A single example is a 1-D array of shape ``(n_0,)``; a mini-batch is a 2-D array
  ``(batch, n_0)``.  Every function accepts both (same maths, batched arrays).
* ``acts`` names the activation of layers 1..L (see ``resolve_activations``).
"""
import numpy as np

from .activations import get_activation, resolve_activations
from .validation import check_input, check_labels, check_weights

__all__ = ["forward", "predict", "one_hot", "quadratic_cost", "accuracy"]


def forward(W, x, acts="sigmoid"):
    """Forward pass (eq. 1). Returns ``(zs, ys)``, lists of length ``L + 1``.

    ``ys[0]`` is the input ``x`` and ``ys[l] = f(zs[l])`` for ``l >= 1``.  By
    convention ``zs[0]`` is also ``x`` (the input layer has no pre-activation).
    """
    check_weights(W)
    x = check_input(x, W)
    names = resolve_activations(acts, len(W))
    zs, ys = [x], [x]
    for w, name in zip(W, names):
        f, _ = get_activation(name)
        z = ys[-1] @ w.T
        zs.append(z)
        ys.append(f(z))
    return zs, ys


def predict(W, x, acts="sigmoid"):
    """Class index of the most active output neuron."""
    return np.argmax(forward(W, x, acts)[1][-1], axis=-1)


def one_hot(label, n_out, dtype=np.float64):
    """Output target yhat_L: the one-hot vector(s) of ``label`` (section 3.1)."""
    lab = np.asarray(label)
    if not np.issubdtype(lab.dtype, np.integer) or (lab.size and (lab.min() < 0 or lab.max() >= n_out)):
        check_labels(lab, n_out, np.zeros(lab.shape + (n_out,)) if lab.ndim else np.zeros(n_out))
    out = np.zeros(lab.shape + (n_out,), dtype=dtype)
    np.put_along_axis(out, lab[..., None], 1, axis=-1)
    return out


def quadratic_cost(yL, label):
    """Output cost C = 1/2 ||one_hot(label) - y_L||^2 (eq. 4 summed over the output layer).

    For a mini-batch the mean over examples is returned.
    """
    yL = np.asarray(yL)
    check_labels(label, yL.shape[-1], yL)
    d = one_hot(label, yL.shape[-1], yL.dtype) - yL
    return float(0.5 * np.mean(np.sum(d * d, axis=-1)))


def accuracy(W, x, label, acts="sigmoid"):
    """Fraction of examples whose predicted class equals ``label``."""
    return float(np.mean(predict(W, x, acts) == np.asarray(label)))
