"""Sensitivity of GTP to tau and eta: validation accuracy over a grid of settings.

Each cell of a grid is one short training run (``gtp.engine.training.train``, batch size 1, zero
start, one Euler step, seed 0) on the first ``n_train`` training examples for ``epochs``
epochs, scored on the **validation** split (the test split is never loaded).  Two kinds of
grid:

* ``"tau-eta"`` (:func:`run_grid`): one tau for every hidden layer, tau x eta;
* ``"per-layer-tau"`` (:func:`run_per_layer`): a two-hidden-layer network, tau_1 (the
  target of the first hidden layer) x tau_2 (the last hidden layer) at a fixed eta; the
  diagonal is the single-tau setting of the paper's tables.

Cells run as Dask tasks (``gtp.experiments.dask_runner``: an embedded local cluster with one worker per
core, or an existing one); checkpoints go to ``<root>/.checkpoints/sensitivity/``.  A grid
is written to ``results/v1/sensitivity/<name>.json`` (``DEFAULT_ROOT``) after every cell, atomically
(``gtp.engine.records.write_json``), with its settings and provenance; ``status`` stays
``"running"`` until the last cell.  Running a grid again resumes it: cells already in the
file (same settings and budget) are kept, also when the grid grew.  :func:`run_all` runs
the grids shown in the book::

    python -m gtp run sensitivity      # about 15 min of one core; two workers on two cores

Reading: :func:`load` and :func:`grid_matrix` (the accuracy matrix, ``nan`` for missing
cells, and the mask of diverged cells).
"""
import functools
import json
import os

import numpy as np

from ..engine import records as R
from ..engine.records import V1_ROOT
from ..engine.rules import studied
from ..engine.training import TrainConfig
from ..maths.activations import get_activation, resolve_activations
from ..maths.network import forward
from ..maths.paper import find_row
from ..maths.targets import targets
from ..maths.updates import backprop_deltas, local_deltas
from .plan_base import Plan, Progress

#: the rule whose tau these grids study (the registry's studied rule, GTP)
STUDIED = studied().name

__all__ = ["TAUS", "ETAS", "PER_LAYER_TAUS", "BUDGET", "DEFAULT_ROOT", "GRIDS", "grid_name",
           "grid_path", "GridRun", "SensitivityPlan", "plan", "run_grid", "run_per_layer", "run_all", "load", "grid_matrix",
           "find_cell", "best_cell", "paper_setting", "cell_key", "good_products", "first_layer_signals",
           "first_layer_study"]

DEFAULT_ROOT = V1_ROOT

#: tau values of the tau x eta grid (about 2.5 per decade; holds the paper's 100 and 400)
TAUS = (0.1, 0.4, 1.0, 4.0, 10.0, 40.0, 100.0, 400.0, 1000.0, 4000.0)
#: eta values of the tau x eta grid (2 per decade; holds the paper's 0.01)
ETAS = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)
#: tau values per hidden layer of the per-layer grid (holds the paper's 25 and 50)
PER_LAYER_TAUS = (1.0, 4.0, 10.0, 25.0, 50.0, 100.0, 400.0, 1000.0)
#: training budget of every cell
BUDGET = {"n_train": 10000, "epochs": 2, "seed": 0}

#: the grids of the book: (kind, keyword arguments of run_grid / run_per_layer)
GRIDS = [
    ("tau-eta", dict(dataset="mnist", sizes=(784, 100, 10), acts="sigmoid")),
    ("tau-eta", dict(dataset="fashion-mnist", sizes=(784, 100, 10), acts="sigmoid")),
    ("tau-eta", dict(dataset="mnist", sizes=(784, 100, 10), acts="paper")),
    ("tau-eta", dict(dataset="fashion-mnist", sizes=(784, 100, 10), acts="paper")),
    ("per-layer-tau", dict(dataset="mnist", sizes=(784, 100, 100, 10), acts="sigmoid",
                           eta=0.001)),
    ("per-layer-tau", dict(dataset="mnist", sizes=(784, 100, 100, 10), acts="paper",
                           eta=0.001)),
]


def grid_name(kind, dataset, sizes, acts, eta=None):
    """File stem, e.g. ``mnist-784-100-10-sigmoid`` or
    ``mnist-784-100-100-10-sigmoid-per-layer-tau-eta0.001``."""
    if not isinstance(acts, str):
        acts = "-".join(acts)
    name = f"{dataset}-{'-'.join(map(str, sizes))}-{acts}"
    if kind == "per-layer-tau":
        name += f"-per-layer-tau-eta{eta:g}"
    elif kind != "tau-eta":
        raise ValueError(f"kind: expected 'tau-eta' or 'per-layer-tau', got {kind!r}")
    return name


def grid_path(name, root=None):
    return os.path.join(root or DEFAULT_ROOT, "sensitivity", name + ".json")


def cell_key(tau, eta):
    """Hashable key of a cell: tau is a float (tau-eta) or a tuple (per layer)."""
    t = tuple(float(x) for x in tau) if np.ndim(tau) else float(tau)
    return (t, float(eta))


def _cell_entry(tau, eta, epochs, rec):
    """The JSON entry of one cell from its training record."""
    full = [e for e in rec["epochs"] if e["epoch"] >= 1 and not e.get("partial")]
    diverged = rec["status"] == "diverged"
    complete = bool(full) and not diverged and len(full) == epochs
    return {
        "tau": list(tau) if np.ndim(tau) else float(tau), "eta": float(eta),
        "status": rec["status"], "diverged": diverged, "message": rec["message"],
        # accuracy after the whole budget (None when the run diverged or was cut short)
        "val_acc": full[-1]["val_acc"] if complete else None,
        "val_loss": full[-1]["val_loss"] if complete else None,
        "val_acc_epochs": [e["val_acc"] for e in rec["epochs"]],
        "time": rec["wall_time"],
    }


def _given(data, dataset):
    """The data dict a caller passed (shipped to the workers with each cell)."""
    return data


def _cell_id(name, base, tau, eta):
    """Task id and checkpoint folder of a cell: the grid, its training subset and seed (a
    cell of another epoch budget continues the same checkpoint), tau and eta."""
    t = "-".join(f"{x:g}" for x in tau) if np.ndim(tau) else f"{tau:g}"
    return f"{name}-n{base['n_train']}-s{base['seed']}-tau{t}-eta{eta:g}"


class GridRun:
    """One grid's cells as runner tasks, and its file: the finished cells still on the grid
    are kept (the grid may have grown), each new result is added and the file rewritten."""

    def __init__(self, kind, name, base, settings, cells, root=None, data=None, log=print):
        self.kind, self.name, self.base, self.cells, self.log = kind, name, base, cells, log
        self.path = grid_path(name, root)
        out = {"kind": kind, "name": name, "settings": settings, "budget": dict(BUDGET),
               "split": "validation", "cells": [], "status": "running",
               "provenance": R.provenance(), "wall_time": 0.0}
        out["budget"].update({k: base[k] for k in ("n_train", "epochs", "seed")})
        wanted = {cell_key(t, e) for t, e in cells}
        old = R.read_result(self.path)
        if old is not None:
            fixed = lambda s: {k: v for k, v in s.items() if k not in ("taus", "etas")}  # noqa: E731
            if fixed(old.get("settings", {})) == fixed(json.loads(json.dumps(settings))) and \
                    old.get("budget") == out["budget"]:
                out["cells"] = [c for c in old["cells"] if c["status"] in ("finished", "diverged")
                                and cell_key(c["tau"], c["eta"]) in wanted]
                out["wall_time"] = sum(c["time"] for c in out["cells"])
        self.out = out
        done = {cell_key(c["tau"], c["eta"]) for c in out["cells"]}
        self.todo = {_cell_id(name, base, t, e): (t, e) for t, e in cells if cell_key(t, e) not in done}
        # the workers load the train and validation splits (never test); cells use the first
        # n_train training examples
        shipped = None if data is None else functools.partial(_given, data)
        from .dask_runner import Task
        self.tasks = [Task(cid, None, TrainConfig(**dict(base, tau=t, eta=e)).to_dict(), data=shipped,
                           splits=("train", "validation"), priority=-i)
                      for i, (cid, (t, e)) in enumerate(self.todo.items())]

    def on_result(self, task, rec):
        tau, eta = self.todo.pop(task.id)
        cell = _cell_entry(tau, eta, self.base["epochs"], rec)
        self.out["cells"].append(cell)
        self.out["wall_time"] += cell["time"]
        acc = "diverged" if cell["diverged"] else f"{cell['val_acc']:.4f}"
        self.log(f"{self.name}: tau={tau} eta={eta:g} -> {acc} ({cell['time']:.1f} s)")
        R.write_json(self.path, self.out)

    def finish(self):
        order = {cell_key(t, e): i for i, (t, e) in enumerate(self.cells)}
        self.out["cells"].sort(key=lambda c: order.get(cell_key(c["tau"], c["eta"]), len(order)))
        self.out["status"] = "finished" if len(self.out["cells"]) == len(self.cells) else "running"
        R.write_json(self.path, self.out)
        return self.out


def _run(kind, name, base, settings, cells, root, data, log, stop, client=None):
    """Shared loop of the two grid kinds: resume, train the missing cells on Dask
    (``dask_runner``; ``client`` or an embedded cluster), rewrite the file after each."""
    from .dask_runner import run
    g = GridRun(kind, name, base, settings, cells, root, data, log)

    def ready():
        return [] if stop is not None and stop.is_set() else [t for t in g.tasks if t.id in g.todo]

    if ready():
        ckpt = os.path.join(root or DEFAULT_ROOT, ".checkpoints", "sensitivity")
        run(ready, ckpt, client=client, log=lambda m: None, progress=False, on_result=g.on_result)
    return g.finish()


class SensitivityPlan(Plan):
    """Every grid of ``GRIDS`` as one runner plan (``python -m gtp run sensitivity``)."""

    def __init__(self, root=None, grids=None, log=print, **budget):
        self.root = root
        self.checkpoints = os.path.join(root or DEFAULT_ROOT, ".checkpoints", "sensitivity")
        self.grids = [GridRun(*_grid_setup(kind, **dict(kw, **budget)), root=root, log=log)
                      for kind, kw in grids or GRIDS]
        self._owner = {t.id: g for g in self.grids for t in g.tasks}

    def ready(self):
        return [t for g in self.grids for t in g.tasks if t.id in g.todo]

    def on_result(self, task, rec):
        self._owner[task.id].on_result(task, rec)

    def progress(self):
        n = sum(len(g.cells) for g in self.grids)
        return Progress(n, n - sum(len(g.todo) for g in self.grids))

    def finish(self):
        outs = [g.finish() for g in self.grids]
        return f"{sum(o['status'] == 'finished' for o in outs)} of {len(outs)} grids finished"


def plan(root=None, rows=None, **options):
    """The sensitivity grids of the book (``results/v1/sensitivity/``) as a runner plan;
    ``root`` is the results folder (the grids go to its ``v1/sensitivity``)."""
    return SensitivityPlan(R.v1_root(root) if root else None, **options)


def _base(dataset, sizes, acts, n_train, epochs, seed):
    return dict(dataset=dataset, sizes=tuple(sizes), acts=acts, rule=STUDIED, start="zero",
                steps=1, epochs=epochs, batch_size=1, seed=seed, init="paper",
                n_train=n_train, dtype="float32", engine="fast", n_eval_train=0, n_probe=0)


def _grid_setup(kind, dataset="mnist", sizes=None, acts="sigmoid", taus=None, etas=ETAS, eta=0.001,
                n_train=BUDGET["n_train"], epochs=BUDGET["epochs"], seed=BUDGET["seed"]):
    """``(kind, name, base, settings, cells)`` of a grid of ``kind`` "tau-eta" or
    "per-layer-tau" (the arguments of :func:`run_grid` and :func:`run_per_layer`)."""
    if kind == "per-layer-tau":
        sizes = tuple(sizes or (784, 100, 100, 10))
        taus = PER_LAYER_TAUS if taus is None else taus
        if len(sizes) != 4:
            raise ValueError(f"sizes: the per-layer grid needs exactly two hidden layers, got {sizes}")
    else:
        sizes = tuple(sizes or (784, 100, 10))
        taus = TAUS if taus is None else taus
    base = _base(dataset, sizes, acts, n_train, epochs, seed)
    settings = {"dataset": dataset, "sizes": list(base["sizes"]), "acts": acts, "rule": STUDIED,
                "start": "zero", "steps": 1, "init": "paper", "taus": [float(t) for t in taus]}
    if kind == "per-layer-tau":
        settings["eta"] = float(eta)
        name = grid_name("per-layer-tau", dataset, sizes, acts, eta)
        cells = [((float(t1), float(t2)), float(eta)) for t1 in taus for t2 in taus]
    else:
        settings["etas"] = [float(e) for e in etas]
        name = grid_name("tau-eta", dataset, sizes, acts)
        cells = [(float(t), float(e)) for t in taus for e in etas]
    return kind, name, base, settings, cells


def run_grid(dataset="mnist", sizes=(784, 100, 10), acts="sigmoid", taus=TAUS, etas=ETAS,
             n_train=BUDGET["n_train"], epochs=BUDGET["epochs"], seed=BUDGET["seed"],
             root=None, data=None, log=print, stop=None, client=None):
    """Validation accuracy of GTP over ``taus`` x ``etas`` (one tau for all hidden layers).

    Writes ``results/v1/sensitivity/<dataset>-<net>-<acts>.json`` (under ``root``) after
    every cell and returns the grid dict.  ``data``: optional ``{"train", "validation"}``
    pairs (default: ``gtp.data`` with the first ``n_train`` training examples).
    ``stop``: object with ``is_set()``: no cell starts once it is set, and the grid is
    left ``"running"`` (resumable).
    Cells run on Dask (``gtp.experiments.dask_runner``): ``client``, or an embedded local cluster.

    Used in: book/training/sensitivity.md.
    """
    setup = _grid_setup("tau-eta", dataset, sizes, acts, taus, etas, n_train=n_train, epochs=epochs, seed=seed)
    return _run(*setup, root, data, log, stop, client)


def run_per_layer(dataset="mnist", sizes=(784, 100, 100, 10), acts="sigmoid",
                  taus=PER_LAYER_TAUS, eta=0.001, n_train=BUDGET["n_train"],
                  epochs=BUDGET["epochs"], seed=BUDGET["seed"], root=None, data=None,
                  log=print, stop=None, client=None):
    """Validation accuracy of GTP over tau_1 x tau_2 (one tau per hidden layer) at a fixed
    eta, for a network with two hidden layers.  Writes
    ``results/v1/sensitivity/<dataset>-<net>-<acts>-per-layer-tau-eta<eta>.json``."""
    setup = _grid_setup("per-layer-tau", dataset, sizes, acts, taus, eta=eta, n_train=n_train, epochs=epochs,
                        seed=seed)
    return _run(*setup, root, data, log, stop, client)


def run_all(root=None, grids=None, log=print, stop=None, scheduler=None, n_workers=None,
            **budget):
    """Run (or resume) every grid of ``GRIDS`` (default) on one Dask cluster (embedded, or
    ``scheduler``); returns the list of file paths.  ``budget`` may override ``n_train``,
    ``epochs`` and ``seed``."""
    from .dask_runner import _close, connect
    paths = []
    client = connect(scheduler, n_workers)
    try:
        for kind, kw in grids or GRIDS:
            fn = run_grid if kind == "tau-eta" else run_per_layer
            res = fn(root=root, log=log, stop=stop, client=client, **dict(kw, **budget))
            paths.append(grid_path(res["name"], root))
            if stop is not None and stop.is_set():
                break
    finally:
        _close(client)
    return paths


# --------------------------------------------------------------------------- reading
def load(name, root=None):
    """The grid dict stored as ``results/v1/sensitivity/<name>.json``, or ``None``.

    Used in: book/training/sensitivity.md, book/training/tables.md."""
    path = grid_path(name, root)
    return R.read_result(path)


def grid_matrix(grid):
    """``(rows, cols, acc, diverged)`` of a grid dict.

    tau-eta: rows are taus, columns etas.  per-layer-tau: rows are tau_1, columns tau_2.
    ``acc`` holds the validation accuracy (``nan`` for a missing or diverged cell),
    ``diverged`` is a boolean matrix of cells whose training diverged.

    Used in: book/training/sensitivity.md, book/training/tables.md.
    """
    s = grid["settings"]
    rows = list(s["taus"])
    cols = list(s["etas"]) if grid["kind"] == "tau-eta" else list(s["taus"])
    acc = np.full((len(rows), len(cols)), np.nan)
    div = np.zeros((len(rows), len(cols)), dtype=bool)
    for c in grid["cells"]:
        if grid["kind"] == "tau-eta":
            i, j = rows.index(float(c["tau"])), cols.index(float(c["eta"]))
        else:
            i, j = rows.index(float(c["tau"][0])), cols.index(float(c["tau"][1]))
        div[i, j] = bool(c["diverged"])
        if c["val_acc"] is not None:
            acc[i, j] = c["val_acc"]
    return rows, cols, acc, div


def find_cell(grid, row, col):
    """The cell entry of a grid at (``row``, ``col``) of :func:`grid_matrix`: (tau, eta) of
    a tau x eta grid, (tau_1, tau_2) of a per-layer grid; ``None`` if not computed.

    Used in: book/training/sensitivity.md (through its twins)."""
    per_layer = grid["kind"] != "tau-eta"
    for c in grid["cells"]:
        r, k = (c["tau"][0], c["tau"][1]) if per_layer else (c["tau"], c["eta"])
        if float(r) == float(row) and float(k) == float(col):
            return c
    return None


def best_cell(grid):
    """``(row value, column value, accuracy)`` of the best finished cell (first on ties).

    Used in: book/training/sensitivity.md."""
    rows, cols, acc, _ = grid_matrix(grid)
    if np.all(np.isnan(acc)):
        return None
    i, j = np.unravel_index(np.nanargmax(acc), acc.shape)
    return rows[i], cols[j], float(acc[i, j])


def paper_setting(dataset, sizes):
    """The paper's ``(tau, eta)`` for this network (Tables 1-3), or ``None``.

    Used in: book/training/sensitivity.md."""
    try:
        row = find_row(dataset, sizes)
    except ValueError:
        return None
    return float(row.tau), float(row.eta)


def good_products(grid, within=2.0):
    """The products eta * tau of the cells of a tau x eta grid whose validation accuracy is
    within ``within`` points of the best cell's (sorted).

    Used in: book/training/sensitivity.md."""
    rows, cols, acc, _ = grid_matrix(grid)
    if np.all(np.isnan(acc)):
        return []
    best = np.nanmax(acc)
    return sorted(rows[i] * cols[j] for i in range(len(rows)) for j in range(len(cols))
                  if np.isfinite(acc[i, j]) and 100 * (best - acc[i, j]) <= within)


def first_layer_signals(W, X, labels, tau, acts, eta=1.0, steps=1, start="zero"):
    """Per example: how large the first hidden layer's target and update are (GTP) and how
    large backprop's gradient of ``W_0`` is, with the weights ``W``.

    The zero-start target of layer 1 is ``yhat_1 = -tau dC_2/dy_1`` (eq. 32, Appendix D,
    eq. 39) whatever the activation of layer 1; the update of ``W_0`` is
    ``eta (yhat_1 - y_1) * f'(z_1) x^T`` (eq. 5), so the activation enters through
    ``f'(z_1)``.  Norms of the rank-one matrices are Frobenius norms: ``||d x^T||_F =
    ||d|| ||x||``.

    Returns a dict of arrays (one value per example): ``target_max`` (max_i |yhat_1,i|),
    ``update_norm`` (||dW_0||_F of GTP's update per example, with ``eta``), ``backprop_norm``
    (||dC/dW_0||_F of backprop's gradient on the quadratic cost, no eta), ``fprime_mean`` (mean of f'(z_1)).

    Used in: book/training/sensitivity.md, book/training/tables.md,
    book/training/train-yourself.md (through the sensitivity chapter's numbers).
    """
    X = np.asarray(X, dtype=np.float64)
    W = [np.asarray(w, dtype=np.float64) for w in W]
    zs, ys = forward(W, X, acts)
    yhat = targets(W, zs, ys, labels, tau, steps, start, acts)
    d_gtp = local_deltas(W, zs, ys, yhat, acts)[0]
    d_bp = backprop_deltas(W, zs, ys, labels, acts)[0]
    xn = np.linalg.norm(X, axis=1)
    return {"target_max": np.max(np.abs(yhat[1]), axis=1),
            "update_norm": eta * np.linalg.norm(d_gtp, axis=1) * xn,
            "backprop_norm": np.linalg.norm(d_bp, axis=1) * xn,
            "fprime_mean": np.mean(get_activation(resolve_activations(acts, len(W))[0])[1](zs[1]),
                                   axis=1)}


def first_layer_study(X, labels, sizes, tau, eta, acts=("sigmoid", "paper"), seed=0):
    """Medians over the examples ``(X, labels)`` of :func:`first_layer_signals` at
    initialisation (``init_weights(sizes, "paper", rng=default_rng(seed))``, the same weights
    for every activation choice): ``{acts: {"target_max", "update_norm", "backprop_norm",
    "fprime_mean"}}``.

    With 200 MNIST training images, 784-100-10, tau = 400, eta = 0.01, seed 0 it gives
    target maxima 62 (sigmoid) and 66 (ReLU first layer), Frobenius norms of the update of
    ``W_0`` 5.1 and 16.0, of backprop's gradient 1.27 and 3.98.

    Used in: book/training/sensitivity.md, book/training/tables.md,
    book/training/train-yourself.md.
    """
    from ..maths.initialisation import init_weights
    W = init_weights(sizes, "paper", rng=np.random.default_rng(seed))
    return {a: {k: float(np.median(v)) for k, v in
                first_layer_signals(W, X, labels, tau, a, eta=eta).items()} for a in acts}
