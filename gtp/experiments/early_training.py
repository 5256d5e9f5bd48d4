"""The first few thousand examples of training, for several initialisations, rules and seeds:
how fast each scheme starts to learn (book/initialisation/init-in-practice.md).
"""
import numpy as np

from ..engine.kernels import FastNet
from ..maths.initialisation import sample_weights, scheme_variances
from ..maths.network import accuracy

__all__ = ["early_training_runs"]

def early_training_runs(sizes, train, val, schemes, rules, seeds, acts="sigmoid",
                        n_examples=3000, every=500):
    """Validation accuracy during the first ``n_examples`` training examples (batch size 1,
    the paper's setting), for every scheme, rule and seed.

    ``train``/``val`` are ``(X, y)`` pairs; ``rules`` maps a name ("gtp", "backprop") to
    ``dict(tau=..., eta=...)``.  Seed s draws the weights with ``default_rng(s)`` and visits
    the first ``n_examples`` examples in the order ``default_rng(s).permutation``.
    Returns ``{"seen": array, "acc": {(rule, scheme): array (seeds, points)}}``.

    Used in: book/initialisation/init-in-practice.md (through ``gtp.book.figures_initialisation``).
    """
    X, y = (np.ascontiguousarray(train[0][:n_examples], dtype=np.float32),
            np.asarray(train[1][:n_examples]))
    Xv, yv = np.ascontiguousarray(val[0], dtype=np.float32), np.asarray(val[1])
    seen = np.arange(0, n_examples + 1, every)
    acc = {}
    for rule, hp in rules.items():
        for scheme in schemes:
            runs = []
            for s in seeds:
                W = sample_weights(sizes, scheme_variances(sizes, scheme, acts=acts),
                                               rng=np.random.default_rng(s), dtype=np.float32)
                net = FastNet(W, acts=acts, rule=rule, tau=hp.get("tau", 1.0), eta=hp["eta"])
                order = np.random.default_rng(s).permutation(len(X))
                curve = [accuracy(W, Xv, yv, acts)]
                for a, b in zip(seen[:-1], seen[1:]):
                    net.run(X, y, order[a:b])
                    curve.append(accuracy(W, Xv, yv, acts))
                runs.append(curve)
            acc[(rule, scheme)] = np.array(runs)
    return {"seen": seen, "acc": acc}
