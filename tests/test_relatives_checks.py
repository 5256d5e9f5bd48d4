"""gtp.book.relatives_checks: the identity checks of book/relatives/derivations.md."""
import numpy as np

from gtp.book.relatives_checks import EXACT_INVERSES, identity_checks


def test_identities_hold_and_tp_targets_move():
    worst, tp_moves = identity_checks(trials=20, seed=2)
    assert len(worst) == 6 and all(np.isfinite(v) for v in worst.values())
    assert max(v for k, v in worst.items() if k != EXACT_INVERSES) < 1e-12
    assert worst[EXACT_INVERSES] < 1e-8
    assert len(tp_moves) == 20 and np.median(tp_moves) > 0.05


def test_checks_are_reproducible():
    a, b = identity_checks(trials=4, seed=5), identity_checks(trials=4, seed=5)
    assert a[0] == b[0] and a[1] == b[1]
