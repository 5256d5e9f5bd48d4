"""gtp: the companion library of the interactive book on Gradient Target Propagation
(T. Farias and J. Maziero, "Gradient target propagation", arXiv:1810.09284, 2018).

The maths core is a handful of functions on lists of numpy arrays; open each
module next to the paper:

===================  ======================================================
``network``          eq. 1: forward pass, one-hot targets, quadratic cost
``activations``      eq. 2: sigmoid (overflow-safe) and ReLU
``targets``          eq. 3, 4, 32, Algorithm 1: hidden targets by Euler steps
``rules``            eq. 5: GTP updates; backprop on the same cost
``learning_rules``   the rule registry: one module per rule (label, colour, kernel)
``relatives``        GTP's relatives: feedback alignment, direct feedback alignment,
                     (difference) target propagation; the angle of any rule to backprop
``init``             eq. 6-10, Appendix A: the uncertainty initialisation
``dynamics``         eq. 3, Appendix B: exact target ODE, Euler stability
``inversion``        Appendix C: why layers cannot be inverted
``decomposition``    section 3.3, Appendix D: GTP = backprop - Hebbian
``data``             MNIST, Fashion-MNIST, CIFAR-10: download, cache, splits
``train``            training engine (``fast`` is its buffered float32 path)
``paper``            section 4: the 16 rows of Tables 1-3, per-layer gains
``reproduce``        runs the rows; ``results`` reads and writes result files
``report``           result files -> tables, gaps, verdict data (and SUMMARY.md)
``relatives_results``  the relatives' result files -> tables and angle curves
``figures``,         the book's figures and interactive panels
``widgets``
===================  ======================================================
"""
from ._version import __version__


def check_version(expected):
    """Tell the reader when the installed ``gtp`` is not the one the book was written for.

    Chapters call this first; ``expected`` is the version the book needs.  A
    mismatch raises ``RuntimeError`` that says how to get the matching version.
    """
    if __version__ != expected:
        raise RuntimeError(
            f"this chapter was written for gtp {expected}, but gtp {__version__} is loaded. "
            f"In the book's folder: run `make setup` (or `pip install -e .`). In a notebook "
            f"copy (Colab, Binder, a download): run its first cell, which installs gtp "
            f"{expected}. Then restart the kernel (Colab: Runtime > Restart session) and run "
            f"the notebook again.")
    return __version__




from .maths.activations import get_activation, relu, relu_prime, resolve_activations, sigmoid, sigmoid_prime
from .maths.initialisation import init_weights, layer_variances, uncertainty, weight_var
from .maths.network import accuracy, forward, one_hot, predict, quadratic_cost
from .maths.targets import euler_target, local_cost, local_cost_grad, targets
from .maths.updates import (
    apply_updates,
    backprop_gradients,
    backprop_step,
    backprop_updates,
    gtp_step,
    gtp_updates,
    local_deltas,
)
from .maths.validation import DivergenceError

__all__ = [
    "DivergenceError", "__version__", "check_version", "results_root",
    "sigmoid", "sigmoid_prime", "relu", "relu_prime", "get_activation", "resolve_activations",
    "forward", "predict", "one_hot", "quadratic_cost", "accuracy",
    "local_cost", "local_cost_grad", "euler_target", "targets",
    "local_deltas", "gtp_updates", "gtp_step", "backprop_gradients", "backprop_updates",
    "backprop_step", "apply_updates",
    "init_weights", "layer_variances", "weight_var", "uncertainty",
]
