"""A run's checkpoint: weights, record and the rule's state in one ``checkpoint.npz``,
written atomically after every epoch, so that an interrupted run resumes bit-identically.

Used by ``gtp.engine.training.train`` (which re-exports ``load_checkpoint``) and the runner.
"""
import json
import os

import numpy as np

from .records import atomic_write

__all__ = ["CHECKPOINT_NAME", "load_checkpoint", "save_checkpoint", "same_run"]

CHECKPOINT_NAME = "checkpoint.npz"


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


def same_run(a, b):
    """Same configuration apart from the number of epochs (compared in JSON form)."""
    norm = lambda c: json.loads(json.dumps({k: v for k, v in c.items() if k != "epochs"}))  # noqa
    return norm(a) == norm(b)
