"""Activation functions f and their derivatives f' (paper eq. 1-2).

Each activation is a pair ``(f, fprime)`` where ``fprime`` takes the
pre-activation ``z``.  The paper's theory uses the sigmoid everywhere; its
experiments (section 4) use a ReLU first hidden layer and sigmoids elsewhere.
"""
import numpy as np

__all__ = ["sigmoid", "sigmoid_prime", "relu", "relu_prime", "ACTIVATIONS",
           "get_activation", "resolve_activations"]


def sigmoid(z):
    """Logistic function f(z) = 1 / (1 + exp(-z)) (eq. 2), overflow-safe.

    Uses exp(-|z|) so that no exponential overflows for large |z|; the dtype
    of ``z`` is kept (float32 in, float32 out).
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid_prime(z):
    """Derivative of eq. 2: f'(z) = f(z) (1 - f(z)); f'(0) = 1/4."""
    s = sigmoid(z)
    return s * (1 - s)


def relu(z):
    """Rectified linear unit max(0, z) (used for the first hidden layer in section 4)."""
    return np.maximum(z, 0)


def relu_prime(z):
    """Derivative of the ReLU: 1 where z > 0, else 0 (the value 0 is taken at z = 0)."""
    z = np.asarray(z)
    return (z > 0).astype(z.dtype)


ACTIVATIONS = {"sigmoid": (sigmoid, sigmoid_prime), "relu": (relu, relu_prime)}


def get_activation(name):
    """Return ``(f, fprime)`` for an activation name ("sigmoid" or "relu")."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown activation {name!r}: accepted values are "
                         f"{sorted(ACTIVATIONS)}") from None


def resolve_activations(acts, L):
    """Expand an activation spec into a list of ``L`` names, one per layer 1..L.

    ``acts`` may be a name used for every layer ("sigmoid", "relu"), the
    special value ``"paper"`` (ReLU first hidden layer, sigmoid elsewhere, as in
    section 4 of the paper), or a sequence of ``L`` names.
    """
    if isinstance(acts, str):
        if acts == "paper":
            names = ["relu"] + ["sigmoid"] * (L - 1) if L > 1 else ["sigmoid"]
        else:
            names = [acts] * L
    else:
        names = list(acts)
        if len(names) != L:
            raise ValueError(f"activations: got {len(names)} names for a network of {L} "
                             f"weight layers; give one name per layer, or a single name, "
                             f"or 'paper'")
    for n in names:
        get_activation(n)
    return names
