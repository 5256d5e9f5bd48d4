"""Training engine: epochs of GTP or backprop with records, checkpoints and a clean stop.

Public API (stable; the book's widgets and chapters build on it)::

    from gtp.engine.training import TrainConfig, train
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

Rules with state (``gtp.engine.rules``: feedback alignment's fixed matrices, target
propagation's learned inverses) draw it from ``state_rng(seed)`` at the start; the
checkpoint holds it (arrays and the noise generator), the returned record has it as
``record["state"]`` (dropped, like the weights, when the record is written as JSON).

Engines: ``engine="fast"`` (default) runs ``gtp.engine.kernels.FastNet`` (buffers, in-place BLAS,
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
backprop's (both averaged over the same probe batch; ``gtp.engine.probes.layer_angles``),
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
import time

import numpy as np

from ..maths.initialisation import init_weights
from ..maths.network import forward, one_hot
from ..maths.validation import DivergenceError
from .checkpoints import CHECKPOINT_NAME, load_checkpoint, same_run, save_checkpoint
from .kernels import FastNet
from .probes import evaluate, probe_angles, probe_cosines
from .rules import get_rule
from .train_config import OPTIONAL, TrainConfig, epoch_order, load_splits, prepare_data, state_rng

# TrainConfig, load_splits, state_rng, epoch_order, load_checkpoint, evaluate and the probes
# live in train_config, checkpoints and probes; they are re-exported here, the engine's
# front door (``from gtp.engine.training import TrainConfig, train``)
__all__ = ["TrainConfig", "StopTraining", "train", "load_splits", "evaluate", "probe_cosines",
           "probe_angles", "epoch_order", "state_rng", "select_epoch", "load_checkpoint",
           "done_epochs", "CHECKPOINT_NAME", "OPTIONAL"]


class StopTraining(Exception):
    """Raise from a callback to stop training cleanly (everything learned is kept)."""


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


def _initial_weights(weights, cfg):
    """A copy of the given initial weights, checked against ``cfg.sizes`` and for NaN."""
    want = [(m, n) for n, m in zip(cfg.sizes[:-1], cfg.sizes[1:])]
    got = [np.shape(w) for w in weights]
    if got != want:
        raise ValueError(f"weights: expected {len(want)} arrays of shapes {want} (from sizes {cfg.sizes}), "
                         f"got shapes {got}")
    W = [np.array(w, dtype=cfg.dtype, order="C") for w in weights]
    for l, w in enumerate(W):
        if not np.isfinite(w).all():
            raise ValueError(f"weights[{l}]: the initial weights hold NaN or infinite values; "
                             f"pass finite weights or leave weights=None for init_weights")
    return W


def _finite(W):
    return all(np.isfinite(w).all() for w in W)


def _new_record(cfg, data):
    from .records import provenance  # provenance only (git, CPU, versions)
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

    Used in: book/training/train-yourself.md (through ``gtp.book.panels_training``), and by
    ``gtp.experiments.protocol_v1`` and ``gtp.experiments.sensitivity_grids`` for every stored run.
    """
    cfg = config if isinstance(config, TrainConfig) else TrainConfig.from_dict(config)
    data = prepare_data(load_splits(cfg.dataset, np.dtype(cfg.dtype)) if data is None else data, cfg)
    X, y = data["train"]
    n = len(X)
    n_probe = min(cfg.n_probe, len(data["validation"][1]))
    probe = (data["validation"][0][:n_probe], data["validation"][1][:n_probe]) if n_probe else None

    rule = get_rule(cfg.rule)
    resumed = load_checkpoint(checkpoint_dir, with_state=True) if checkpoint_dir else None
    if resumed is not None:
        record, W, state = resumed
        if not same_run(record["config"], cfg.to_dict()):
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
            from .records import provenance
            record["provenance"].setdefault("resumed", []).append(provenance())
    else:
        record = _new_record(cfg, data)
        if weights is not None:
            W = _initial_weights(weights, cfg)
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
            save_checkpoint(checkpoint_dir, record, W, state)
        return finish("diverged", message)

    def publish(entry):
        """Record the entry; a full epoch is checkpointed and reported to ``on_record``.
        Then the callback; returns True if it asks to stop."""
        record["epochs"].append(entry)
        if not entry.get("partial"):          # a partial epoch is redone on resume
            record["selection"] = select_epoch(record["epochs"])
            if checkpoint_dir:
                save_checkpoint(checkpoint_dir, record, W, state)
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
