"""Short runs of GTP's relatives for the book: the per-layer angle to backprop over training,
the live panel's settings, and what each rule adds to the network.

The part "GTP among its relatives" shows, on a small network with two hidden layers (MNIST
784-100-100-10, sigmoid everywhere), how far each rule's update of every weight matrix is
from backprop's while the network learns, as the Training part does for GTP.  This module
holds

* :data:`PANEL`, the settings of those runs (the live panel ``gtp.book.panels_relatives`` starts
  from them), and :func:`config`, the one place that turns a rule and its hyper-parameters
  into a ``gtp.engine.training.TrainConfig``;
* :data:`GRID`, the runs precomputed for the book: every rule (the four relatives, GTP and
  backprop) at every forward learning rate of :data:`ETAS` (the panel's default included),
  so the panel's static twin has a frame for each, and :func:`run_grid`, which trains them
  with ``gtp.engine.training.train`` (its probe records ``"angle"`` after every epoch) and writes one
  JSON per run, atomically, with its provenance, into ``results/relatives/angles/``::

      python -m gtp run relatives-angles      # a few minutes of one core; skips finished runs

* :func:`load` and :func:`curves`, the reading side (the chapters and the twin);
* :func:`extra_parameters` and :func:`feedback_alignment`, what the registry's state of a
  rule holds (fixed feedback numbers, learned inverse parameters) and how well the forward
  weights align with FA's fixed feedback.
"""
import json
import math
import os
import time
from pathlib import Path

import numpy as np

from ..engine import records as R
from ..engine.records import RESULTS_ROOT
from ..engine.rules import get_rule, rules_of
from ..engine.training import TrainConfig, load_splits, state_rng, train
from .budget import RULE_COST
from .plan_base import TaskListPlan

__all__ = ["AnglesPlan", "plan", "RULES", "ETAS", "PANEL", "GTP_TAU", "DEFAULT_ROOT", "GRID", "config", "run_path",
           "run_grid", "load", "curves", "extra_parameters", "feedback_alignment"]

#: the rules the part shows: the four relatives, then GTP and backprop for reference
RULES = tuple(rules_of("relatives")) + tuple(rules_of("training"))
#: forward learning rates of the precomputed grid (the panel's default 0.1 included)
ETAS = (0.01, 0.03, 0.1, 0.3)
#: GTP's tau in these runs: with two hidden layers the zero-start update of W_0 is
#: eta tau^2 times backprop's (Theory part), so tau = 10 keeps the grid's eta usable
GTP_TAU = 10.0
#: the settings of the precomputed runs and of the live panel's default run
PANEL = dict(dataset="mnist", sizes=(784, 100, 100, 10), acts="sigmoid", rule="fa", eta=0.1,
             n_train=6000, epochs=5, seed=0, n_eval_train=2000, n_probe=256)
DEFAULT_ROOT = os.path.join(RESULTS_ROOT, "relatives", "angles")
#: the precomputed runs: (rule, eta) for every rule and every value of ETAS
GRID = tuple((rule, eta) for rule in RULES for eta in ETAS)


def config(rule=None, eta=None, **changes):
    """The ``TrainConfig`` of a run of ``rule`` with forward learning rate ``eta`` on the
    settings of :data:`PANEL` (``changes`` override them, e.g. ``tau``, ``eta_hat``,
    ``sigma``, ``epochs``).  GTP runs from the zero start with one Euler step and
    ``tau = GTP_TAU``; the relatives' own hyper-parameters (DTP, TP) keep the registry's
    defaults unless given."""
    s = dict(PANEL, **changes)
    s["rule"] = rule or s["rule"]
    s["eta"] = float(PANEL["eta"] if eta is None else eta)
    r = get_rule(s["rule"])                  # ValueError naming the known rules
    s.setdefault("tau", GTP_TAU)
    s.setdefault("start", "zero")
    s.setdefault("steps", 1)
    for name, value in r.defaults:
        if s.get(name) is None:
            s[name] = value
    for name in ("eta_hat", "eta_inv", "sigma"):
        if not r.uses(name):
            s.pop(name, None)
    return TrainConfig(dataset=s["dataset"], sizes=tuple(s["sizes"]), acts=s["acts"],
                       rule=s["rule"], start=s["start"], tau=float(s["tau"]), eta=s["eta"],
                       steps=int(s["steps"]), epochs=int(s["epochs"]), batch_size=1,
                       seed=int(s["seed"]), init="paper", n_train=int(s["n_train"]),
                       dtype="float32", engine="fast", n_eval_train=int(s["n_eval_train"]),
                       n_probe=int(s["n_probe"]), eta_hat=s.get("eta_hat"),
                       eta_inv=s.get("eta_inv"), sigma=s.get("sigma"))


def run_path(rule, eta, root=None):
    """``results/relatives/angles/<rule>-eta<eta>.json``."""
    return Path(root or DEFAULT_ROOT) / f"{rule}-eta{eta:g}.json"


def run_grid(root=None, grid=GRID, data=None, log=print):
    """Train every ``(rule, eta)`` of ``grid`` that has no finished result file under
    ``root`` and write its record (without weights and state, with provenance) atomically.
    Returns the number of runs trained."""
    done = 0
    for rule, eta in grid:
        path = run_path(rule, eta, root)
        cfg = config(rule, eta)
        old = R.read_result(path)
        if old is not None:
            same = old.get("config") == json.loads(json.dumps(cfg.to_dict()))
            if old.get("status") in ("finished", "diverged") and same:
                continue
        if data is None:
            data = load_splits(cfg.dataset)
        t0 = time.perf_counter()
        rec = train(cfg, data=data, progress=False)
        R.save_record(path, rec)
        done += 1
        last = rec["epochs"][-1]
        log(f"{rule:>8} eta {eta:<5g} {rec['status']}: validation accuracy "
            f"{100 * last['val_acc']:.2f}%, angles {last.get('angle')} "
            f"({time.perf_counter() - t0:.1f} s) -> {path}")
    return done


def load(rule, eta, root=None):
    """The stored record of the run ``(rule, eta)``; ``FileNotFoundError`` naming the
    command that writes it."""
    path = run_path(rule, eta, root)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no stored run of {rule!r} at eta = {eta:g}; run "
                                f"`python -m gtp run relatives-angles` to compute it")
    return R.load_record(path)


def angle_curves(rec):
    """Per-layer angle to backprop (degrees) over the epochs of one run record:
    ``{"epoch": [...], "angle": [[layer 0, ...], ...]}``.  Records written before the
    ``"angle"`` field existed (the v2 GTP runs) give it from ``cos_batch`` (the same angle:
    ``degrees(arccos(cos_batch))``); a backprop run's is 0."""
    epochs, angles = [], []
    L = len(rec["config"]["sizes"]) - 1
    for e in rec["epochs"]:
        if e.get("partial"):
            continue
        if "angle" in e:
            a = e["angle"]
        elif rec["config"]["rule"] == "backprop":
            a = [0.0] * L
        elif rec["config"]["rule"] == "gtp" and "cos_batch" in e:
            a = [None if c is None else math.degrees(math.acos(max(-1.0, min(1.0, c))))
                 for c in e["cos_batch"]]
        else:
            continue
        epochs.append(e["epoch"])
        angles.append(a)
    return {"epoch": epochs, "angle": angles}


def curves(rec):
    """``{"epoch": [...], "angle": array (epochs, L), "val_acc": [...]}`` of one record
    (``nan`` where an angle is undefined)."""
    c = angle_curves(rec)
    full = [e for e in rec["epochs"] if not e.get("partial")]
    return {"epoch": c["epoch"],
            "angle": np.array([[np.nan if a is None else a for a in row] for row in c["angle"]],
                              dtype=float),
            "val_acc": [e["val_acc"] for e in full]}


def extra_parameters(rule, sizes, seed=0):
    """What the registry's state of ``rule`` adds to a network of layer sizes ``sizes``:
    ``{"fixed": n, "learned": n, "arrays": {name: shape}}``, counted from the state the
    rule draws at the start of a run (``rule.new_state``): fixed feedback matrices (FA, DFA)
    and learned inverse weights and biases (DTP, TP)."""
    r = get_rule(rule)
    cfg = TrainConfig(sizes=tuple(sizes), rule=rule, **dict(r.defaults))
    state = r.new_state(tuple(sizes), state_rng(seed), cfg)
    arrays = {k: tuple(v.shape) for k, v in state.items() if isinstance(v, np.ndarray)}
    learned = sum(int(np.prod(s)) for k, s in arrays.items() if k[0] in "Vc")
    fixed = sum(int(np.prod(s)) for k, s in arrays.items() if k[0] == "B")
    return {"fixed": fixed, "learned": learned, "arrays": arrays}


def feedback_alignment(W, state):
    """Angle in degrees between each forward matrix ``W_l`` and the transpose of FA's fixed
    feedback ``B_l`` (l = 1..L-1): ``{l: angle}``.  90 degrees: unrelated (random); small:
    the forward weights have come to align with the feedback (Lillicrap et al. 2016)."""
    from ..maths.relatives_maths import angle
    return {l: angle(W[l], np.asarray(state[f"B{l}"]).T) for l in range(1, len(W))}


class AnglesPlan(TaskListPlan):
    """Every ``(rule, eta)`` of the grid as a runner task writing ``run_path(rule, eta)``; a
    run whose file holds another configuration is run again (``replace``)."""

    def __init__(self, root=None, grid=GRID):
        self.root, self.grid = root or DEFAULT_ROOT, grid
        self.checkpoints = os.path.join(self.root, ".checkpoints")

    def tasks(self):
        from .dask_runner import Task
        out = []
        for rule, eta in self.grid:
            path, cfg = run_path(rule, eta, self.root), config(rule, eta)
            out.append(Task(f"{rule}-eta{eta:g}", str(path), cfg.to_dict(),
                            replace=path.exists() and not self._same(path, cfg),
                            cost=RULE_COST.get(rule, 1.0)))
        return out

    @staticmethod
    def _same(path, cfg):
        old = R.read_result(path)
        return old is not None and old.get("status") in ("finished", "diverged") and \
            old.get("config") == json.loads(json.dumps(cfg.to_dict()))

    def done(self, task):
        return self._same(Path(task.path), TrainConfig.from_dict(task.config))


def plan(root=None, rows=None, **options):
    """The relatives' short runs (``results/relatives/angles/``) as a runner plan."""
    return AnglesPlan(os.path.join(root, "relatives", "angles") if root else None, **options)
