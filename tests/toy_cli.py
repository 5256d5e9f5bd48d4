"""``python tests/toy_cli.py run toy --root ROOT ...``: the real command line (``gtp.cli.main``)
with one more experiment, ``toy``: a few short GTP runs on toy data, on the embedded local
cluster.  The interrupt tests (tests/test_interrupt.py) run it as a subprocess and signal it.

``TOY_JOBS`` (default 4) runs of ``TOY_EPOCHS`` (default 8) epochs on ``TOY_N`` (default
2000) examples.  ``TOY_HOLD`` (seconds, default 0): the runner's shutdown (``_close``, after
the last result or an interrupt) prints "shutting down" on stdout and waits that long
before it closes the cluster, a window in which a test signals a run that is shutting down.
"""
import dataclasses
import functools
import os
import sys

from gtp import cli
from gtp.engine.training import TrainConfig
from gtp.experiments import catalogue as C
from gtp.experiments import dask_runner as runner
from gtp.experiments.plan_base import TaskListPlan

JOBS = int(os.environ.get("TOY_JOBS", 4))
EPOCHS = int(os.environ.get("TOY_EPOCHS", 8))
N = int(os.environ.get("TOY_N", 2000))


def config(seed):
    return TrainConfig(dataset="toy", sizes=(12, 16, 3), acts="sigmoid", rule="gtp", tau=1.0, eta=0.2,
                       epochs=EPOCHS, seed=seed, n_eval_train=50, n_probe=8).to_dict()


DATA = functools.partial(runner.toy_splits, n_train=N)


class ToyPlan(TaskListPlan):
    def __init__(self, root):
        self.folder = os.path.join(root, "toy")
        self.checkpoints = os.path.join(root, ".checkpoints", "toy")

    def tasks(self):
        return [runner.Task(f"toy-{s}", os.path.join(self.folder, f"toy-{s}.json"), config(s), data=DATA)
                for s in range(JOBS)]


def make_plan(name, root=None, rows=None, **options):
    return ToyPlan(root) if name == "toy" else _make_plan(name, root, rows, **options)


_make_plan = C.make_plan
C.EXPERIMENTS["toy"] = dataclasses.replace(C.EXPERIMENTS["twins"], name="toy", title="toy runs", folder="toy")
C.make_plan = make_plan

if float(os.environ.get("TOY_HOLD", 0)) > 0:
    _close = runner._close

    def _held_close(client):
        import time
        print("shutting down", flush=True)
        time.sleep(float(os.environ["TOY_HOLD"]))
        _close(client)
    runner._close = _held_close

if __name__ == "__main__":
    sys.exit(cli.main())
