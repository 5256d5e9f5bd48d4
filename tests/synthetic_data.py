"""Synthetic data shared by the training tests: K noisy prototypes in [0, 1]^D."""
import numpy as np

D, K = 16, 4


def synthetic(n, seed):
    """``n`` examples of K noisy prototypes in [0, 1]^D (the same prototypes for every split)."""
    protos = np.random.default_rng(1234).random((K, D))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, n)
    return np.clip(protos[y] + 0.15 * rng.standard_normal((n, D)), 0, 1), y


def splits():
    """Train (300), validation (120) and test (120) splits."""
    return {"train": synthetic(300, 1), "validation": synthetic(120, 2), "test": synthetic(120, 3)}
