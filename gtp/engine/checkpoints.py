"""A run's checkpoint: weights, record and the rule's state in one ``checkpoint.npz``,
written atomically after every epoch, so that an interrupted run resumes bit-identically.

Used by ``gtp.engine.training.train`` (which re-exports ``load_checkpoint``) and the runner.
"""
import json
import os
import time
import warnings
import zipfile

import numpy as np

from .records import atomic_write

__all__ = ["CHECKPOINT_NAME", "PREVIOUS_NAME", "load_checkpoint", "save_checkpoint", "same_run",
           "CorruptCheckpointWarning"]

CHECKPOINT_NAME = "checkpoint.npz"
#: the checkpoint before the last one: a corrupt last checkpoint falls back to it
PREVIOUS_NAME = "checkpoint.prev.npz"


class CorruptCheckpointWarning(UserWarning):
    """A checkpoint could not be read: it was moved aside and the run goes back to the
    previous good one (or starts again)."""


def _folder(checkpoint_dir):
    if os.path.exists(checkpoint_dir) and not os.path.isdir(checkpoint_dir):
        raise ValueError(f"checkpoint_dir: {checkpoint_dir} is a file, not a folder; pass a folder "
                         f"(it is created if missing) or move the file away")
    return checkpoint_dir


def _atomic_savez(path, **arrays):
    with atomic_write(path, "wb", ".npz") as f:
        np.savez(f, **arrays)


def save_checkpoint(checkpoint_dir, record, W, state=None):
    """Weights ``W{l}``, record, and the rule's state: arrays as ``S_<name>``, generators as
    ``G_<name>`` (their bit generator's state in JSON), so a resumed run continues exactly."""
    rec = {k: v for k, v in record.items() if k not in ("weights", "state")}
    extra = {}
    for k, v in (state or {}).items():
        if isinstance(v, np.random.Generator):
            extra[f"G_{k}"] = np.array(json.dumps(v.bit_generator.state))
        else:
            extra[f"S_{k}"] = v
    path = os.path.join(_folder(checkpoint_dir), CHECKPOINT_NAME)
    if os.path.exists(path):            # keep the last good state until the new one is in place
        os.replace(path, os.path.join(checkpoint_dir, PREVIOUS_NAME))
    _atomic_savez(path,
                  record=np.array(json.dumps(rec)),
                  **{f"W{l}": w for l, w in enumerate(W)}, **extra)


def _read(path, n_weights=None):
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
    bad = [f"W{l}" for l, w in enumerate(W) if not np.isfinite(w).all()] + \
        [f"S_{k}" for k, v in state.items() if isinstance(v, np.ndarray) and not np.isfinite(v).all()]
    if bad and rec.get("status") != "diverged":
        raise ValueError(f"{', '.join(bad)} hold NaN or infinite values")
    return rec, W, state


def load_checkpoint(checkpoint_dir, with_state=False):
    """Return ``(record, W)`` from ``checkpoint_dir`` (``(record, W, state)`` with
    ``with_state=True``), or ``None`` if there is none.

    A checkpoint that cannot be read (truncated, not a zip file, missing arrays, NaN weights
    in a run that did not diverge) is renamed ``checkpoint.npz.corrupt-<time>`` with a
    ``CorruptCheckpointWarning`` naming it, and the previous checkpoint (one epoch earlier)
    is used instead; with none, the run starts again."""
    _folder(checkpoint_dir)
    for name in (CHECKPOINT_NAME, PREVIOUS_NAME):
        path = os.path.join(checkpoint_dir, name)
        if not os.path.exists(path):
            continue
        try:
            rec, W, state = _read(path)
        except (zipfile.BadZipFile, ValueError, KeyError, OSError, EOFError, TypeError) as err:
            aside = f"{path}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}"
            os.replace(path, aside)
            warnings.warn(f"{path}: unreadable checkpoint ({type(err).__name__}: {err}); moved to {aside}, "
                          f"the run resumes from the previous checkpoint or starts again",
                          CorruptCheckpointWarning, stacklevel=2)
            continue
        return (rec, W, state) if with_state else (rec, W)
    return None


def same_run(a, b):
    """Same configuration apart from the number of epochs (compared in JSON form)."""
    norm = lambda c: json.loads(json.dumps({k: v for k, v in c.items() if k != "epochs"}))  # noqa
    return norm(a) == norm(b)
