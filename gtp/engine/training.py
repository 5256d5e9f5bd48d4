"""Training engine: epochs of GTP or backprop with records, checkpoints and a clean stop.

Public API (stable; the book's widgets and chapters build on it)::

    from gtp.train import TrainConfig, train
    cfg = TrainConfig(dataset="mnist", sizes=(784, 100, 10), acts="paper", rule="gtp",
                      tau=400, eta=0.01, epochs=5, seed=0)
    rec = train(cfg, callback=print, checkpoint_dir="runs/mnist-100", progress=True)
    rec["epochs"][-1]["val_acc"], rec["selection"]["test_acc_at_best"], rec["weights"]

``train`` returns a *record*: a JSON-serialisable dict (config, data set sizes, one entry
per epoch, status, selection, provenance) plus ``record["weights"]``, the trained weight
list (numpy arrays; dropped when the record is written as JSON).

What happens in one epoch (``batch_size = 1``, the paper's faithful mode)
-------------------------------------------------------------------------
* the training examples are visited in the order ``permutation(e)`` drawn from
  ``numpy.random.default_rng([seed, e])`` (epoch ``e = 1, 2, ...``): it depends only on the
  seed and the epoch number, so a run resumed from a checkpoint sees exactly the same
  examples in the same order as an uninterrupted one;
* after every example the weights are updated with GTP (Algorithm 1, eq. 5, targets by
  ``steps`` Euler steps of eq. 32 from the ``start`` point) or with backprop SGD on the same
  quadratic cost;
* the initial weights come from ``init_weights(sizes, init, rng=default_rng(seed))``.

Mini-batch mode (``batch_size = B > 1``): consecutive groups of B examples of the same
permutation; like the reference functions, one step adds ``eta`` times the *mean* of the
B per-example updates.  ``eta`` is used as given: with the same eta a mini-batch epoch
makes B times fewer steps of about the same size as batch-1 steps, so it learns less per
epoch; the usual heuristic is to scale eta linearly with B while eta * B stays small
(for GTP this scales the hidden steps too, which are about eta * tau times a backprop
step with the zero start).

Rules with state (``gtp.learning_rules``: feedback alignment's fixed matrices, target
propagation's learned inverses) draw it from ``state_rng(seed)`` at the start; the
checkpoint holds it (arrays and the noise generator), the returned record has it as
``record["state"]`` (dropped, like the weights, when the record is written as JSON).

Engines: ``engine="fast"`` (default) runs ``gtp.fast.FastNet`` (buffers, in-place BLAS,
float32); ``engine="reference"`` calls ``gtp.gtp_step`` / ``gtp.backprop_step`` for every
step (slow, for reading and cross-checks).  Both compute the same updates (tests compare
them after 100 steps).

Per-epoch record (``record["epochs"]``; entry 0 is the untrained network)
-------------------------------------------------------------------------
``train_loss_running`` / ``train_acc_running``: mean cost 1/2||onehot - y_L||^2 and
accuracy over the epoch's examples, each measured *on the fly* just before that example's
own update (a moving target; cheap).  ``train_loss`` / ``train_acc``: the same on a fixed
subset (the first ``n_eval_train`` training examples) with the end-of-epoch weights.
``val_loss``/``val_acc``, ``test_loss``/``test_acc``: end-of-epoch weights on the whole
splits.  ``cos_batch[l]``: cosine between the GTP update of ``W[l]`` and the negative
backprop gradient, both averaged over a fixed probe batch (the first ``n_probe``
validation examples), computed with the reference functions ``gtp_updates`` and
``backprop_gradients``.  ``cos_example[l]``: the mean over the probe examples of the
per-example cosine; since both per-example updates are ``delta y_l^T`` with the same
forward input ``y_l``, it equals the cosine between the two deltas (examples with
``y_l = 0`` are skipped).  The last layer's cosine is 1 (GTP's output update is backprop's).
``angle[l]``: the angle in degrees between the run's own rule's update of ``W[l]`` and
backprop's (both averaged over the same probe batch; ``gtp.relatives.layer_angles``),
recorded for every rule (for GTP it is ``arccos(cos_batch[l])``; ``None`` where undefined).
``epoch_time`` (seconds spent in the training steps of this epoch), ``wall_time``
(cumulative seconds of training and evaluation), ``examples_per_s``, ``weight_norm[l]``.

Stop, callback, divergence, checkpoints
---------------------------------------
* ``stop``: an object with ``is_set()`` (e.g. ``threading.Event``), polled before every
  step.  When set, training stops at once and keeps every update done so far: the
  weights are evaluated and a last entry with ``"partial": true`` is appended; the
  record's status is ``"stopped"``.  A partial epoch is not checkpointed, so a resumed run
  restarts that epoch from the last checkpoint (and stays bit-identical).
* ``callback(entry, weights)`` is called with every epoch entry (including entry 0 and a
  partial last entry) and a copy of the weights at that moment.  Returning ``True`` or
  raising ``StopTraining`` stops the run cleanly (status ``"stopped"``); any other
  exception propagates, after the epoch's checkpoint was written.
* divergence: a non-finite target, delta, weight or validation loss ends the run with
  ``status = "diverged"``, ``diverged = True`` and ``message``; the returned weights are
  the last finite ones; nothing is raised.
* ``checkpoint_dir``: after every epoch, ``checkpoint.npz`` (weights and record, one file
  written to a temporary name then ``os.replace``d) is saved there.  If it already holds a
  checkpoint of the same configuration (``epochs`` may differ), training resumes after its
  last epoch; a finished or diverged checkpoint is returned as is.
"""
import dataclasses
import json
import os
import time

import numpy as np

from ._checks import DivergenceError
from .activations import resolve_activations
from .fast import FastNet
from .init import SCHEMES, init_weights, sample_weights, scheme_variances
from .learning_rules import get_rule, rule_names, studied
from .network import accuracy, forward, one_hot
from .relatives import layer_angles
from .results import atomic_write
from .rules import backprop_deltas, backprop_gradients, cosine, gtp_updates, local_deltas
from .targets import START_POINTS, targets

__all__ = ["TrainConfig", "StopTraining", "train", "load_splits", "evaluate", "probe_cosines",
           "probe_angles", "epoch_order", "state_rng", "select_epoch", "load_checkpoint",
           "early_training_runs", "CHECKPOINT_NAME", "OPTIONAL"]

CHECKPOINT_NAME = "checkpoint.npz"
ENGINES = ("fast", "reference")
DTYPES = ("float32", "float64")
#: fields only some rules read (``Rule.hyper``); ``to_dict`` leaves them out while they are
#: None, so the configs (and result files) of the other rules are as before they existed
OPTIONAL = ("eta_hat", "eta_inv", "sigma")


class StopTraining(Exception):
    """Raise from a callback to stop training cleanly (everything learned is kept)."""


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a training run (the record stores ``asdict`` of it).

    dataset: "mnist" | "fashion-mnist" | "cifar-10" (or any name when ``data`` is given).
    sizes: layer sizes (n_0, ..., n_L).  acts: "paper" | "sigmoid" | "relu" | list of L.
    rule: a name of the registry ``gtp.learning_rules`` ("gtp", "backprop").
    start: "zero" | "activation".  tau: scalar or one per
    hidden layer (GTP only; also used for the probe cosines).  eta: scalar or one per
    weight matrix.  steps: Euler steps.  epochs, batch_size, seed.  init: a scheme of
    ``gtp.init_weights``.  n_train: use only the first n_train training examples (None:
    all).  dtype: "float32" | "float64".  engine: "fast" | "reference".
    n_eval_train: size of the fixed training subset evaluated after every epoch.
    n_probe: number of validation examples in the probe batch of the cosines and angles (0:
    none).  eta_hat, eta_inv, sigma: (difference) target propagation's top-target step,
    inverse learning rate and corruption noise (``gtp.learning_rules.dtp``); None takes the
    rule's default, and they are left out of ``to_dict`` while None.
    """
    dataset: str = "mnist"
    sizes: tuple = (784, 100, 10)
    acts: object = "paper"
    rule: str = studied().name          # the registry's studied rule (GTP)
    start: str = "zero"
    tau: object = 400.0
    eta: object = 0.01
    steps: int = 1
    epochs: int = 10
    batch_size: int = 1
    seed: int = 0
    init: str = "paper"
    n_train: object = None
    dtype: str = "float32"
    engine: str = "fast"
    n_eval_train: int = 10000
    n_probe: int = 256
    eta_hat: object = None
    eta_inv: object = None
    sigma: object = None

    def __post_init__(self):
        self.sizes = tuple(int(s) for s in self.sizes)
        if not isinstance(self.acts, str):
            self.acts = list(self.acts)
        for name in ("tau", "eta"):
            v = getattr(self, name)
            if v is not None and not np.isscalar(v):
                setattr(self, name, [float(x) for x in v])
            elif v is not None:
                setattr(self, name, float(v))
        if self.rule in rule_names():
            for name, value in get_rule(self.rule).defaults:
                if getattr(self, name) is None:
                    setattr(self, name, value)
        for name in OPTIONAL:
            v = getattr(self, name)
            if v is not None and not isinstance(v, bool) and isinstance(v, (int, float, np.number)):
                setattr(self, name, float(v))
        self.validate()

    def validate(self):
        """Raise ValueError naming the field for an invalid configuration."""
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ValueError(f"sizes: expected at least two positive layer sizes, got {self.sizes}")
        L = len(self.sizes) - 1
        resolve_activations(self.acts, L)
        choices = {"rule": rule_names(), "start": START_POINTS, "init": SCHEMES, "dtype": DTYPES,
                   "engine": ENGINES}
        for name, ok in choices.items():
            if getattr(self, name) not in ok:
                raise ValueError(f"{name}: expected one of {ok}, got {getattr(self, name)!r}")
        for name in ("steps", "epochs", "batch_size", "seed", "n_eval_train", "n_probe"):
            v = getattr(self, name)
            lo = 0 if name in ("seed", "epochs", "n_eval_train", "n_probe") else 1
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(f"{name}: expected an integer >= {lo}, got {v!r}")
        if self.n_train is not None and (not isinstance(self.n_train, (int, np.integer))
                                         or self.n_train < 1):
            raise ValueError(f"n_train: expected None or an integer >= 1, got {self.n_train!r}")
        if get_rule(self.rule).uses("tau") and self.tau is None:
            raise ValueError(f"tau: the rule {self.rule!r} needs a tau (scalar or one per hidden "
                             f"layer)")
        if self.eta is None:
            raise ValueError("eta: expected a learning rate (scalar or one per weight matrix)")
        rule = get_rule(self.rule)
        for name in OPTIONAL:
            v = getattr(self, name)
            if not rule.uses(name):
                continue
            lo = "0" if name == "sigma" else "0 (exclusive)"
            if not isinstance(v, float) or not np.isfinite(v) or v < 0 or (v == 0 and name != "sigma"):
                raise ValueError(f"{name}: the rule {self.rule!r} needs a finite number >= {lo}, "
                                 f"got {v!r}")

    def to_dict(self):
        d = dataclasses.asdict(self)
        for name in OPTIONAL:
            if d[name] is None:
                del d[name]
        return d

    @classmethod
    def from_dict(cls, d):
        """Build a config from a dict, ignoring unknown keys (forward compatibility)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


# --------------------------------------------------------------------------- data
def load_splits(dataset, dtype=np.float32):
    """Train, validation and test splits of a data set from ``gtp.data.load``.

    Returns ``{"train": (X, y), "validation": (X, y), "test": (X, y)}`` with C-contiguous
    inputs of ``dtype`` and int64 labels.
    """
    from . import data  # imported here: only needed when the caller gives no data
    return {split: data.load(dataset, split=split, dtype=dtype)
            for split in ("train", "validation", "test")}


def _prepare(data, cfg):
    """Check the data dict, cast it, and apply ``n_train``."""
    dtype = np.dtype(cfg.dtype)
    out = {}
    for split in ("train", "validation", "test"):
        if split not in data or data[split] is None:
            if split == "test":
                out[split] = None
                continue
            raise ValueError(f"data: missing the {split!r} split (a pair (X, y))")
        X, y = data[split]
        X = np.ascontiguousarray(X, dtype=dtype)
        y = np.asarray(y).astype(np.int64)
        if X.ndim != 2 or X.shape[1] != cfg.sizes[0] or len(y) != len(X):
            raise ValueError(f"data[{split!r}]: expected X of shape (n, {cfg.sizes[0]}) and n "
                             f"labels, got {X.shape} and {y.shape}")
        if y.min() < 0 or y.max() >= cfg.sizes[-1]:
            raise ValueError(f"data[{split!r}]: labels must lie in 0..{cfg.sizes[-1] - 1}")
        out[split] = (X, y)
    if cfg.n_train is not None:
        X, y = out["train"]
        out["train"] = (X[:cfg.n_train], y[:cfg.n_train])
    return out


def state_rng(seed):
    """The generator of a rule's initial state (feedback matrices, inverses, the noise
    generator): ``numpy.random.default_rng([seed, 0, 1])``, a stream that neither the
    weights (``default_rng(seed)``) nor the epoch orders (``[seed, e]``, e >= 1) use.
    (Not ``[seed, 0]``: ``SeedSequence`` pads its entropy with zeros, so ``[seed, 0]``
    gives the weights' own stream, and feedback alignment's B would start equal to W^T.)"""
    return np.random.default_rng([int(seed), 0, 1])


def epoch_order(seed, epoch, n):
    """The visiting order of epoch ``epoch`` (1, 2, ...): a permutation of range(n) drawn
    from ``numpy.random.default_rng([seed, epoch])``."""
    return np.random.default_rng([int(seed), int(epoch)]).permutation(n)


# --------------------------------------------------------------------------- measurements
def evaluate(W, X, y, acts, chunk=2000):
    """Mean cost 1/2 ||onehot - y_L||^2 and accuracy of ``W`` on ``(X, y)`` (batched)."""
    loss, correct = 0.0, 0
    with np.errstate(over="ignore", invalid="ignore"):
        for s in range(0, len(X), chunk):
            out = forward(W, X[s:s + chunk], acts)[1][-1]
            d = one_hot(y[s:s + chunk], out.shape[1], out.dtype) - out
            loss += 0.5 * float(np.sum(d.astype(np.float64) ** 2))
            correct += int(np.count_nonzero(np.argmax(out, axis=1) == y[s:s + chunk]))
    return loss / len(X), correct / len(X)


def _cos(a, b):
    """``rules.cosine`` with ``None`` (JSON null) where it is undefined."""
    c = cosine(a, b)
    return None if np.isnan(c) else c


def probe_cosines(W, X, y, acts, tau, steps=1, start="zero"):
    """Per-layer cosines between GTP's update and the negative backprop gradient on the
    probe batch ``(X, y)``: ``{"cos_batch": [...], "cos_example": [...]}`` (see the module
    docstring; ``None`` where a cosine is undefined or the targets are not finite)."""
    L = len(W)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            up = gtp_updates(W, X, y, tau, 1.0, steps, start, acts)
            grads = backprop_gradients(W, X, y, acts)
            cos_batch = [_cos(u, -g) for u, g in zip(up, grads)]
            zs, ys = forward(W, X, acts)
            yhat = targets(W, zs, ys, y, tau, steps, start, acts)
            dg = local_deltas(W, zs, ys, yhat, acts)
            db = backprop_deltas(W, zs, ys, y, acts)
    except DivergenceError:
        return {"cos_batch": [None] * L, "cos_example": [None] * L}
    cos_example = []
    for l in range(L):
        a, b = dg[l].astype(np.float64), db[l].astype(np.float64)
        na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
        yn = np.linalg.norm(ys[l].astype(np.float64), axis=1)
        ok = (na > 0) & (nb > 0) & (yn > 0)
        cos_example.append(float(np.mean(np.sum(a[ok] * b[ok], axis=1) / (na[ok] * nb[ok])))
                           if ok.any() else None)
    return {"cos_batch": cos_batch, "cos_example": cos_example}


def probe_angles(W, X, y, cfg, state=None):
    """``{"angle": [...]}``: per-layer angles (degrees) between the rule's update and
    backprop's on the probe batch (``gtp.relatives.layer_angles``; ``None`` where undefined
    or the rule's signals are not finite)."""
    try:
        return {"angle": layer_angles(W, X, y, cfg, state)}
    except DivergenceError:
        return {"angle": [None] * len(W)}


def select_epoch(epochs):
    """Protocol: the epoch (>= 1, full epochs only) with the highest validation accuracy
    (earliest on ties); returns ``{"best_epoch", "val_acc_at_best", "test_acc_at_best",
    "last_epoch", "test_acc_last"}`` or ``None`` if no epoch was completed.  Never uses
    test accuracy to choose."""
    full = [e for e in epochs if e["epoch"] >= 1 and not e.get("partial")]
    if not full:
        return None
    best = max(full, key=lambda e: (e["val_acc"], -e["epoch"]))
    last = full[-1]
    return {"best_epoch": best["epoch"], "val_acc_at_best": best["val_acc"],
            "test_acc_at_best": best.get("test_acc"), "last_epoch": last["epoch"],
            "test_acc_last": last.get("test_acc")}


def early_training_runs(sizes, train, val, schemes, rules, seeds, acts="sigmoid",
                        n_examples=3000, every=500):
    """Validation accuracy during the first ``n_examples`` training examples (batch size 1,
    the paper's setting), for every scheme, rule and seed.

    ``train``/``val`` are ``(X, y)`` pairs; ``rules`` maps a name ("gtp", "backprop") to
    ``dict(tau=..., eta=...)``.  Seed s draws the weights with ``default_rng(s)`` and visits
    the first ``n_examples`` examples in the order ``default_rng(s).permutation``.
    Returns ``{"seen": array, "acc": {(rule, scheme): array (seeds, points)}}``.

    Used in: book/initialisation/init-in-practice.md (through ``gtp.figures.initialisation``).
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


# --------------------------------------------------------------------------- checkpoints
def _atomic_savez(path, **arrays):
    with atomic_write(path, "wb", ".npz") as f:
        np.savez(f, **arrays)


def _save_checkpoint(checkpoint_dir, record, W, state=None):
    """Weights ``W{l}``, record, and the rule's state: arrays as ``S_<name>``, generators as
    ``G_<name>`` (their bit generator's state in JSON), so a resumed run continues exactly."""
    rec = {k: v for k, v in record.items() if k not in ("weights", "state")}
    extra = {}
    for k, v in (state or {}).items():
        if isinstance(v, np.random.Generator):
            extra[f"G_{k}"] = np.array(json.dumps(v.bit_generator.state))
        else:
            extra[f"S_{k}"] = v
    _atomic_savez(os.path.join(checkpoint_dir, CHECKPOINT_NAME),
                  record=np.array(json.dumps(rec)),
                  **{f"W{l}": w for l, w in enumerate(W)}, **extra)


def load_checkpoint(checkpoint_dir, with_state=False):
    """Return ``(record, W)`` from ``checkpoint_dir`` (``(record, W, state)`` with
    ``with_state=True``), or ``None`` if there is none."""
    path = os.path.join(checkpoint_dir, CHECKPOINT_NAME)
    if not os.path.exists(path):
        return None
    state = {}
    with np.load(path) as z:
        rec = json.loads(str(z["record"]))
        W = [np.ascontiguousarray(z[f"W{l}"]) for l in range(len(rec["config"]["sizes"]) - 1)]
        for key in z.files:
            if key.startswith("S_"):
                state[key[2:]] = np.ascontiguousarray(z[key])
            elif key.startswith("G_"):
                st = json.loads(str(z[key]))
                g = np.random.Generator(getattr(np.random, st["bit_generator"])())
                g.bit_generator.state = st
                state[key[2:]] = g
    return (rec, W, state) if with_state else (rec, W)


def _same_run(a, b):
    """Same configuration apart from the number of epochs (compared in JSON form)."""
    norm = lambda c: json.loads(json.dumps({k: v for k, v in c.items() if k != "epochs"}))  # noqa
    return norm(a) == norm(b)


# --------------------------------------------------------------------------- training
def _reference_epoch(W, cfg, X, y, order, should_stop, state=None):
    """One epoch with the plain reference functions (same contract as FastNet.run)."""
    loss_sum, correct, seen = 0.0, 0, 0
    B, rule = cfg.batch_size, get_rule(cfg.rule)
    for s in range(0, len(order), B):
        if should_stop():
            break
        idx = order[s] if B == 1 else order[s:s + B]
        xb, yb = X[idx], y[idx]
        out = forward(W, xb, cfg.acts)[1][-1]
        d = one_hot(yb, out.shape[-1], out.dtype) - out
        loss_sum += 0.5 * float(np.sum(d.astype(np.float64) ** 2))
        correct += int(np.count_nonzero(np.argmax(out, axis=-1) == yb))
        rule.reference(W, xb, yb, cfg, state)
        seen += np.size(yb)
    return {"seen": seen, "loss_sum": loss_sum, "correct": correct}


def _measure(W, cfg, data, probe, state=None):
    tr_X, tr_y = data["train"]
    n = min(cfg.n_eval_train, len(tr_X))
    m = {}
    if n:
        m["train_loss"], m["train_acc"] = evaluate(W, tr_X[:n], tr_y[:n], cfg.acts)
    m["val_loss"], m["val_acc"] = evaluate(W, *data["validation"], cfg.acts)
    if data["test"] is not None:
        m["test_loss"], m["test_acc"] = evaluate(W, *data["test"], cfg.acts)
    if probe is not None and cfg.tau is not None:
        m.update(probe_cosines(W, probe[0], probe[1], cfg.acts, cfg.tau, cfg.steps, cfg.start))
    if probe is not None and get_rule(cfg.rule).deltas is not None:
        m.update(probe_angles(W, probe[0], probe[1], cfg, state))
    m["weight_norm"] = [float(np.linalg.norm(w)) for w in W]
    return m


def done_epochs(record):
    """Number of the last full epoch in a record (0: only the untrained entry, -1: none)."""
    return max((e["epoch"] for e in record["epochs"] if not e.get("partial")), default=-1)


def _finite(W):
    return all(np.isfinite(w).all() for w in W)


def _new_record(cfg, data):
    from .results import provenance  # provenance only (git, CPU, versions)
    return {
        "config": cfg.to_dict(),
        "data": {"dataset": cfg.dataset,
                 "n_train": len(data["train"][1]),
                 "n_validation": len(data["validation"][1]),
                 "n_test": None if data["test"] is None else len(data["test"][1]),
                 "n_eval_train": min(cfg.n_eval_train, len(data["train"][1])),
                 "n_probe": min(cfg.n_probe, len(data["validation"][1]))},
        "epochs": [], "status": "running", "diverged": False, "message": None,
        "selection": None, "wall_time": 0.0, "provenance": provenance(),
    }


def train(config, data=None, callback=None, stop=None, checkpoint_dir=None, progress=True,
          weights=None, on_record=None):
    """Train a network and return its record (see the module docstring).

    config: a ``TrainConfig`` or a dict of its fields.  data: ``{"train": (X, y),
    "validation": (X, y), "test": (X, y) or None}``; ``None`` loads ``config.dataset``
    with ``gtp.data``.  callback(entry, weights) after each epoch, with a copy of the
    weights (``True`` or ``StopTraining`` stops).  stop: object with ``is_set()`` (e.g.
    ``threading.Event``).  checkpoint_dir: folder for the per-epoch checkpoint (resumes
    from it).  progress: tqdm bar.
    weights: optional initial weight list (copied) instead of ``init_weights``.
    on_record(record): called after every full epoch (after the checkpoint, before the
    callback) with the record so far, without weights (used to write result files).

    Used in: book/training/train-yourself.md (through ``gtp.widgets.training``), and by
    ``gtp.reproduce`` and ``gtp.sensitivity`` for every stored run.
    """
    cfg = config if isinstance(config, TrainConfig) else TrainConfig.from_dict(config)
    data = _prepare(load_splits(cfg.dataset, np.dtype(cfg.dtype)) if data is None else data, cfg)
    X, y = data["train"]
    n = len(X)
    n_probe = min(cfg.n_probe, len(data["validation"][1]))
    probe = (data["validation"][0][:n_probe], data["validation"][1][:n_probe]) if n_probe else None

    rule = get_rule(cfg.rule)
    resumed = load_checkpoint(checkpoint_dir, with_state=True) if checkpoint_dir else None
    if resumed is not None:
        record, W, state = resumed
        if not _same_run(record["config"], cfg.to_dict()):
            raise ValueError(f"checkpoint_dir: {checkpoint_dir} holds a checkpoint of a different "
                             f"configuration; use another folder or delete it")
        record["config"] = cfg.to_dict()
        W = [w.astype(cfg.dtype, copy=False) for w in W]
        if rule.stateful and not state:
            raise ValueError(f"checkpoint_dir: {checkpoint_dir} holds no state for the rule "
                             f"{cfg.rule!r}; delete the checkpoint to start the run again")
        if record["status"] == "diverged":
            record["weights"], record["state"] = W, state
            return record
        record["status"] = "running"
        if done_epochs(record) < cfg.epochs:          # note the session that continues it
            from .results import provenance
            record["provenance"].setdefault("resumed", []).append(provenance())
    else:
        record = _new_record(cfg, data)
        if weights is not None:
            W = [np.array(w, dtype=cfg.dtype, order="C") for w in weights]
        else:
            W = init_weights(cfg.sizes, cfg.init, rng=np.random.default_rng(cfg.seed),
                             dtype=np.dtype(cfg.dtype))
        state = rule.new_state(cfg.sizes, state_rng(cfg.seed), cfg)
    done = done_epochs(record)
    should_stop = (lambda: stop.is_set()) if stop is not None else (lambda: False)
    params = {name: getattr(cfg, name) for name in rule.hyper if name not in ("tau", "steps", "start")}
    net = FastNet(W, cfg.acts, cfg.rule, cfg.tau if cfg.tau is not None else 1.0, cfg.eta,
                  cfg.steps, cfg.start, cfg.batch_size, state=state if rule.stateful else None,
                  params=params) if cfg.engine == "fast" else None

    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=cfg.epochs * n, initial=max(done, 0) * n, unit="ex", leave=True,
                   desc=f"{cfg.rule} {'-'.join(map(str, cfg.sizes))}", smoothing=0.1)

    def finish(status, message=None):
        record["status"] = status
        record["diverged"] = status == "diverged"
        record["message"] = message
        record["selection"] = select_epoch(record["epochs"])
        record["weights"], record["state"] = W, state
        if bar is not None:
            bar.close()
        return record

    def diverged(message):
        """The one divergence path: mark the record, checkpoint it (a resumed run returns
        it as is), finish."""
        record["status"], record["diverged"], record["message"] = "diverged", True, message
        if checkpoint_dir:
            _save_checkpoint(checkpoint_dir, record, W, state)
        return finish("diverged", message)

    def publish(entry):
        """Record the entry; a full epoch is checkpointed and reported to ``on_record``.
        Then the callback; returns True if it asks to stop."""
        record["epochs"].append(entry)
        if not entry.get("partial"):          # a partial epoch is redone on resume
            record["selection"] = select_epoch(record["epochs"])
            if checkpoint_dir:
                _save_checkpoint(checkpoint_dir, record, W, state)
            if on_record is not None:
                on_record({k: v for k, v in record.items() if k not in ("weights", "state")})
            if bar is not None and "val_acc" in entry:
                bar.set_postfix(epoch=entry["epoch"], val_acc=f"{entry['val_acc']:.4f}")
        if callback is None:
            return False
        try:
            return bool(callback(entry, [w.copy() for w in W]))
        except StopTraining:
            return True

    if done < 0:                                   # entry 0: the untrained network
        t0 = time.perf_counter()
        entry = {"epoch": 0, "examples": 0, **_measure(W, cfg, data, probe, state)}
        record["wall_time"] += time.perf_counter() - t0
        entry.update(epoch_time=0.0, wall_time=record["wall_time"])
        done = 0
        if publish(entry):
            return finish("stopped", "stopped by the callback before training")

    for epoch in range(done + 1, cfg.epochs + 1):
        order = epoch_order(cfg.seed, epoch, n)
        last_good = [w.copy() for w in W]
        last_state = {k: v.copy() for k, v in state.items() if isinstance(v, np.ndarray)}
        t0 = time.perf_counter()
        message = None
        try:
            if net is not None:
                stats = net.run(X, y, order, cfg.batch_size, should_stop,
                                bar.update if bar is not None else None)
            else:
                stats = _reference_epoch(W, cfg, X, y, order, should_stop, state)
                if bar is not None:
                    bar.update(stats["seen"])
        except DivergenceError as err:
            message = f"diverged in epoch {epoch}: {err}"
        t_train = time.perf_counter() - t0
        if message is None and not _finite(W + [v for v in state.values() if isinstance(v, np.ndarray)]):
            message = f"diverged in epoch {epoch}: a weight became infinite or NaN"
        if message is not None:                # keep the last finite weights
            for w, g in zip(W, last_good):
                w[...] = g
            for k, v in last_state.items():
                state[k][...] = v
            record["wall_time"] += t_train
            return diverged(message)
        partial = stats["seen"] < n
        entry = {"epoch": epoch, "examples": (epoch - 1) * n + stats["seen"],
                 "train_loss_running": stats["loss_sum"] / max(stats["seen"], 1),
                 "train_acc_running": stats["correct"] / max(stats["seen"], 1),
                 **_measure(W, cfg, data, probe, state)}
        record["wall_time"] += time.perf_counter() - t0
        entry.update(epoch_time=t_train, wall_time=record["wall_time"],
                     examples_per_s=stats["seen"] / t_train if t_train > 0 else None)
        if not np.isfinite(entry["val_loss"]):
            record["epochs"].append(entry)
            return diverged(f"diverged in epoch {epoch}: the validation loss is not finite")
        if partial:
            entry["partial"] = True
            publish(entry)                     # not checkpointed: resume redoes the epoch
            return finish("stopped", f"stopped during epoch {epoch} after {stats['seen']} of "
                                     f"{n} examples")
        if publish(entry):
            return finish("stopped", f"stopped by the callback after epoch {epoch}")
        if should_stop():
            return finish("stopped", f"stopped after epoch {epoch}")
    return finish("finished")
