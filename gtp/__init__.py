"""gtp: the companion library of the interactive book on Gradient Target Propagation
(T. Farias and J. Maziero, "Gradient target propagation", arXiv:1810.09284, 2018).

Five wings, imports pointing one way (book -> reports -> experiments -> engine -> maths
and data; ``tests/test_layout.py``):

===============  ==============================================================
``maths``        the paper's maths, one module per idea, each citing its equation:
                 ``network`` (eq. 1), ``activations`` (eq. 2), ``targets`` (eq. 3,
                 4, 32), ``updates`` (eq. 5), ``initialisation`` (eq. 6-10),
                 ``dynamics`` (App. B), ``inversion`` (App. C), ``decomposition``
                 (App. D), ``relatives_maths``, ``paper`` (Tables 1-3)
``data``         MNIST, Fashion-MNIST, CIFAR-10: download, cache, splits
``engine``       the rule registry, fast kernels, ``train(TrainConfig(...))``
``experiments``  every experiment as a description, run by one runner on Dask
``reports``      result files -> tables, verdicts, ``results/SUMMARY.md``
``book``         the chapters' figures, panels, static twins, exercises, glue
===============  ==============================================================

The maths functions are also here (``gtp.forward``, ``gtp.gtp_step``, ...);
``gtp.train``, ``gtp.TrainConfig`` and ``gtp.results_root`` load the engine on first use.
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

#: names loaded on first use, so that ``import gtp`` (and ``python -m gtp --help``) does not
#: import the training engine
_LAZY = {"train": "gtp.engine.training", "TrainConfig": "gtp.engine.training",
         "results_root": "gtp.engine.records"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gtp' has no attribute {name!r}")


__all__ = [
    "DivergenceError", "__version__", "check_version", "results_root", "train", "TrainConfig",
    "sigmoid", "sigmoid_prime", "relu", "relu_prime", "get_activation", "resolve_activations",
    "forward", "predict", "one_hot", "quadratic_cost", "accuracy",
    "local_cost", "local_cost_grad", "euler_target", "targets",
    "local_deltas", "gtp_updates", "gtp_step", "backprop_gradients", "backprop_updates",
    "backprop_step", "apply_updates",
    "init_weights", "layer_variances", "weight_var", "uncertainty",
]
