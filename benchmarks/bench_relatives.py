"""Seconds per training example of every rule of the registry relative to backprop's, with
``gtp.engine.kernels.FastNet`` (float32, one BLAS thread), for ``gtp.experiments.protocol_v2.RULE_COST`` (the budget
of ``python -m gtp status relatives``).

    python benchmarks/bench_relatives.py [--nets 784-500-500-10 784-500-500-500-10] [--n 2000]

Each timing is the fastest of 3 passes over the same random examples after a warm-up pass,
the rules measured back to back in one process (a ratio moves less than a time on a shared
machine).  Nothing is asserted: a benchmark, not a test.
"""
import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import gtp  # noqa: E402
from gtp.engine import rules as LR
from gtp.engine.kernels import FastNet  # noqa: E402
from gtp.engine.training import TrainConfig, state_rng  # noqa: E402


def per_example(sizes, rule, n, batch=1, passes=3):
    rng = np.random.default_rng(0)
    X = rng.random((n, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], n)
    cfg = TrainConfig(sizes=sizes, rule=rule, eta=1e-4, tau=50.0, dtype="float32")
    r = LR.get_rule(rule)
    W = gtp.init_weights(list(sizes), rng=1, dtype=np.float32)
    params = {k: getattr(cfg, k) for k in r.hyper if k not in ("tau", "steps", "start")}
    net = FastNet(W, cfg.acts, rule, cfg.tau, cfg.eta, batch_size=batch,
                  state=r.new_state(sizes, state_rng(0), cfg) if r.stateful else None, params=params)
    order = np.arange(n)
    net.run(X, y, order, batch_size=batch)
    best = np.inf
    for _ in range(passes):
        t = time.perf_counter()
        net.run(X, y, order, batch_size=batch)
        best = min(best, time.perf_counter() - t)
    return best / n


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nets", nargs="+", default=["784-500-500-10", "784-500-500-500-10"])
    p.add_argument("--n", type=int, default=2000)
    a = p.parse_args()
    print("| network | " + " | ".join(LR.rule_names()) + " |")
    print("|---|" + "---|" * len(LR.rule_names()))
    for net in a.nets:
        sizes = tuple(int(s) for s in net.split("-"))
        t = {r: per_example(sizes, r, a.n) for r in LR.rule_names()}
        print(f"| {net} (µs; ratio to backprop) | " +
              " | ".join(f"{1e6 * t[r]:.0f}; {t[r] / t['backprop']:.2f}" for r in LR.rule_names()) + " |")


if __name__ == "__main__":
    main()
