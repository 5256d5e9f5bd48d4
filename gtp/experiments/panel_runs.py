"""Precomputed runs of the training panel: the tau x eta grid its static twin shows.

The rendered book has no kernel, so the training panel's twin (``gtp.book.twin_specs.training_grid_spec``)
shows runs computed beforehand: the panel's default setting (``DEFAULTS``, below:
MNIST 784-100-10, GTP from the zero start, sigmoids, one Euler step, 50,000 examples, the
panel's default number of epochs, seed 0) at every tau of ``TAUS`` and eta of ``ETAS``.  Each
cell is trained exactly as the panel trains it (``make_config`` of the panel's settings, then
``run_training``, i.e. ``gtp.engine.training.train`` with the panel's per-epoch callback), so its entries
hold the learning curves, the per-layer cosines with backprop and the accuracies the live
panel draws.  Every value of the grid is a value of the panel's log sliders, and the grid holds
the paper's tau and eta for this network (Table 1), which are also the panel's defaults.

One JSON file per cell, ``results/twins/<cell>.json`` (the training record without weights,
with provenance: git commit, command, date, machine, versions, data source), written
atomically (``gtp.engine.records.save_record``).  The command resumes: a cell whose file holds a
finished run of the same configuration is not trained again::

    python -m gtp run twins            # about 5 min of one core

Used in: book/training/train-yourself.md (through ``gtp.book.twin_specs.training_grid_spec``).
"""
import contextlib
import functools
import json
import os
import sys
import time

import numpy as np

from ..data.registry import DATASETS as _REGISTRY
from ..engine import records as R
from ..engine.records import RESULTS_ROOT
from ..engine.rules import RULES as _LEARNING_RULES
from ..engine.rules import get_rule, studied
from ..engine.training import TrainConfig, load_splits, train
from .plan_base import TaskListPlan, default_checkpoints

__all__ = ["DEFAULTS", "DEFAULT_MIN_TEST_ACCURACY", "RULES", "ACTIVATIONS", "DATASETS", "CUSTOM",
           "paper_networks", "run_title", "parse_sizes", "resolve_acts", "make_config", "run_training",
           "load_data", "one_blas_thread", "TAUS", "ETAS", "FOLDER", "settings", "cell_name", "cell_path", "load_cell",
           "missing_cells", "precompute", "TwinsPlan", "plan"]

#: the panel's defaults: MNIST 784-100-10, GTP (zero start) with the paper's tau and eta,
#: sigmoid in every layer (the authors' code), 3 epochs of the 50,000 training images
DEFAULTS = dict(dataset="mnist", network="784-100-10", hidden="100", acts="sigmoid",
                rule=studied().choices[0][0], tau=400.0, eta=0.01, steps=1, n_train=50000, epochs=3, seed=0)
#: the test accuracy the default run is documented (and checked) to exceed
DEFAULT_MIN_TEST_ACCURACY = 0.90

#: rule choice -> (TrainConfig.rule, changes to the config), from the registry's ``choices``
RULES = {key: (r.name, changes) for r in _LEARNING_RULES.values() for key, _, changes in r.choices}
#: activation choice -> label
ACTIVATIONS = {"sigmoid": "sigmoid everywhere (authors' code)",
               "paper": "ReLU first hidden layer, sigmoid elsewhere (paper, sec. 4)",
               "relu-hidden": "ReLU in every hidden layer, sigmoid output"}
#: data set -> (input size, number of classes, image shape), from the data registry
DATASETS = {name: (int(np.prod(ds.image_shape)), len(ds.classes), tuple(ds.image_shape))
            for name, ds in _REGISTRY.items()}
CUSTOM = "custom"


def paper_networks(dataset):
    """The paper's rows for ``dataset``: ``[(net, tau, eta, table), ...]`` (Tables 1-3)."""
    from ..maths.paper import ROWS
    return [(r.net, float(r.tau), float(r.eta), r.table) for r in ROWS if r.dataset == dataset]


def run_title(dataset, sizes, rule):
    """Title of a run's learning curves (the live panel and its static twin)."""
    return f"{dataset} {'-'.join(map(str, sizes))}, {get_rule(rule).label}"


def parse_sizes(text, n_in, n_out):
    """Layer sizes from hidden sizes written "100-100" (or "100, 100"); the input and
    output sizes come from the data set.  Raises ValueError with a readable message."""
    parts = [p for p in str(text).replace(",", "-").replace(" ", "-").split("-") if p]
    try:
        hidden = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"hidden sizes: write positive integers separated by '-', "
                         f"e.g. 100-100, got {text!r}") from None
    if not hidden or min(hidden) < 1 or len(hidden) > 6 or max(hidden) > 4000:
        raise ValueError(f"hidden sizes: 1 to 6 layers of 1 to 4000 neurons, got {text!r}")
    return (n_in, *hidden, n_out)


def resolve_acts(choice, n_layers):
    """TrainConfig ``acts`` for an activation choice and ``n_layers`` weight matrices."""
    if choice in ("sigmoid", "paper"):
        return choice
    if choice == "relu-hidden":
        return ["relu"] * (n_layers - 1) + ["sigmoid"]
    raise ValueError(f"acts: expected one of {tuple(ACTIVATIONS)}, got {choice!r}")


def make_config(settings):
    """A ``TrainConfig`` from the panel's settings dict (keys of ``DEFAULTS``)."""
    s = dict(DEFAULTS, **settings)
    if s["dataset"] not in DATASETS:
        raise ValueError(f"dataset: expected one of {tuple(DATASETS)}, got {s['dataset']!r}")
    n_in, n_out, _ = DATASETS[s["dataset"]]
    if s["network"] == CUSTOM:
        sizes = parse_sizes(s["hidden"], n_in, n_out)
    else:
        sizes = tuple(int(v) for v in s["network"].split("-"))
    if s["rule"] not in RULES:
        raise ValueError(f"rule: expected one of {tuple(RULES)}, got {s['rule']!r}")
    rule, changes = RULES[s["rule"]]
    fields = dict(dataset=s["dataset"], sizes=sizes, acts=resolve_acts(s["acts"], len(sizes) - 1),
                  rule=rule, start="zero", tau=float(s["tau"]), eta=float(s["eta"]),
                  steps=int(s["steps"]), epochs=int(s["epochs"]), batch_size=1,
                  seed=int(s["seed"]), n_train=int(s["n_train"]), init="paper",
                  dtype="float32", engine="fast", n_probe=256,
                  n_eval_train=min(10000, int(s["n_train"])))
    return TrainConfig(**{**fields, **changes})


@functools.lru_cache(maxsize=3)
def load_data(dataset):
    """Train, validation and test splits of ``dataset`` (cached for the session)."""
    return load_splits(dataset)


def one_blas_thread():
    """Context limiting BLAS to one thread (``threadpoolctl``).  Batch-size-1 training
    makes tiny BLAS calls; threaded BLAS only adds synchronisation to them, and on a busy
    2-core machine an epoch measured 30 times slower with 2 threads than with 1."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:           # without threadpoolctl, BLAS keeps its own setting
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def run_training(cfg, data, on_epoch=None, stop=None):
    """Train ``cfg`` on ``data`` and return the record; ``on_epoch(entry, W)`` is called
    after every epoch with a copy of the weights at that moment (``W`` is ``None`` for the
    partial entry of a stopped epoch; the final weights are ``record["weights"]``).
    BLAS runs on one thread meanwhile.

    Used in: book/training/train-yourself.md.
    """
    def callback(entry, weights):
        if on_epoch is not None:
            on_epoch(entry, None if entry.get("partial") else weights)
        return False
    with one_blas_thread():
        return train(cfg, data=data, callback=callback, stop=stop, progress=False)


#: tau values of the grid (values of the panel's tau slider; 400 is the paper's and the default)
TAUS = (1.0, 10.0, 100.0, 400.0, 1000.0)
#: eta values of the grid (values of the panel's eta slider; 0.01 is the paper's and the default)
ETAS = (0.001, 0.00316, 0.01, 0.0316, 0.1)
#: the folder of the runs under the results root
FOLDER = "twins"


def settings(tau, eta):
    """The panel's settings (keys of ``DEFAULTS``) of the cell (``tau``, ``eta``)."""
    return dict(DEFAULTS, tau=float(tau), eta=float(eta))


def cell_name(tau, eta):
    """File stem of a cell, e.g. ``mnist-784-100-10-sigmoid-gtp-tau400-eta0.01-s0``."""
    s = settings(tau, eta)
    return (f"{s['dataset']}-{s['network']}-{s['acts']}-{s['rule']}-tau{float(tau):g}"
            f"-eta{float(eta):g}-s{s['seed']}")


def cell_path(tau, eta, root=None):
    """``<root>/twins/<cell>.json`` (``root``: the results folder, ``gtp.results_root()``)."""
    return os.path.join(root or RESULTS_ROOT, FOLDER, cell_name(tau, eta) + ".json")


def load_cell(tau, eta, root=None):
    """The stored record of the cell (``tau``, ``eta``); ``FileNotFoundError`` naming the
    command that writes it."""
    path = cell_path(tau, eta, root)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no precomputed panel run for tau={tau:g}, "
                                f"eta={eta:g}; run `python -m gtp run twins`")
    return R.load_record(path)


def _is_done(path, cfg):
    """A finished or diverged run of ``cfg`` is stored at ``path``."""
    rec = R.read_result(path)
    return rec is not None and rec.get("status") in ("finished", "diverged") and \
        rec.get("config") == json.loads(json.dumps(cfg.to_dict()))


def missing_cells(taus=TAUS, etas=ETAS, root=None):
    """The ``(tau, eta)`` cells of the grid without a finished run of the panel's setting."""
    return [(t, e) for t in taus for e in etas
            if not _is_done(cell_path(t, e, root), make_config(settings(t, e)))]


def precompute(taus=TAUS, etas=ETAS, root=None, data=None, log=print, command=None):
    """Train every missing cell of ``taus`` x ``etas`` as the panel would and write its file.

    data: the splits (default: the panel's ``load_data``); command: recorded in the files'
    provenance (default: this process's command line).  Returns the list of file paths.
    """
    from .protocol_v1 import _data_source
    if command is None:
        command = " ".join(["python -m gtp"] + sys.argv[1:]) \
            if os.path.basename(sys.argv[0]) == "__main__.py" else " ".join(sys.argv)
    paths = []
    for tau in taus:
        for eta in etas:
            path = cell_path(tau, eta, root)
            paths.append(path)
            s = settings(tau, eta)
            cfg = make_config(s)
            if _is_done(path, cfg):
                log(f"{os.path.basename(path)}: done already")
                continue
            t0 = time.perf_counter()
            rec = run_training(cfg, data or load_data(cfg.dataset))
            rec["provenance"]["command"] = command
            R.save_record(path, rec, panel_settings=s, data_source=_data_source(cfg.dataset)
                          if data is None else None)
            last = rec["epochs"][-1]
            log(f"{os.path.basename(path)}: {rec['status']}, test accuracy "
                f"{100 * last.get('test_acc', float('nan')):.2f}% "
                f"({time.perf_counter() - t0:.1f} s)")
    return paths


class TwinsPlan(TaskListPlan):
    """The grid's cells as runner tasks: each trains the panel's setting at its (tau, eta)
    with ``train`` (as ``run_training`` does, without the panel's callback) and writes the
    same file as :func:`precompute`.  A cell whose file holds another configuration is run
    again (``replace``)."""

    def __init__(self, taus=TAUS, etas=ETAS, root=None):
        self.taus, self.etas, self.root = taus, etas, root
        self.checkpoints = default_checkpoints(root or RESULTS_ROOT, FOLDER)

    def tasks(self):
        from .dask_runner import Task
        from .protocol_v1 import _data_source
        out = []
        for tau in self.taus:
            for eta in self.etas:
                s, path = settings(tau, eta), cell_path(tau, eta, self.root)
                cfg = make_config(s)
                stale = os.path.exists(path) and not _is_done(path, cfg)
                out.append(Task(cell_name(tau, eta), path, cfg.to_dict(),
                                {"panel_settings": s, "data_source": _data_source(cfg.dataset)},
                                replace=stale, cost=float(cfg.epochs)))
        return out

    def done(self, task):
        return _is_done(task.path, TrainConfig.from_dict(task.config))


def plan(root=None, rows=None, **options):
    """The training panel's precomputed grid (``results/twins/``) as a runner plan."""
    return TwinsPlan(root=root, **options)
