"""Result files of training runs: provenance, atomic JSON writing, loading, aggregation.

One run = one JSON file (``results/<table>/<run-id>.json``) holding the record returned
by ``gtp.engine.training.train`` without the weights: configuration, data set sizes, per-epoch
entries, status, the selected epoch and provenance.  Files are written to a temporary
name in the same folder and moved into place with ``os.replace``, so a result file is
always complete, valid JSON (its ``status`` says whether the run is still ``"running"``,
``"finished"``, ``"stopped"`` or ``"diverged"``).

Protocol (``gtp.engine.training.select_epoch``): the epoch with the highest validation accuracy is
selected; the test accuracy at that epoch and at the last epoch are reported.
``aggregate`` gives mean ± standard deviation (ddof = 1; 0 for a single seed) over seeds.
"""
import glob
import json
import math
import os
import platform
import subprocess
import tempfile
import warnings
from contextlib import contextmanager
from datetime import datetime, timezone

import numpy as np

__all__ = ["results_root", "RESULTS_ROOT", "V1_ROOT", "v1_root", "provenance", "cpu_model", "git_commit", "atomic_write", "write_json", "save_record", "load_record",
           "read_result", "CorruptResultError", "CorruptResultWarning", "load_results", "aggregate", "tolerance", "fmt_mean_std"]


def results_root():
    """Folder of the book's committed results (``table1/``, ``sensitivity/``, ...).

    The checkout's ``results/`` when ``gtp`` runs from the book's repository (``make
    setup``, the book build); otherwise the copy shipped inside the installed package
    (``gtp/_results``, see ``setup.py``), as on Colab, where only the notebook is opened.
    """
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))     # gtp/
    checkout = os.path.dirname(here)
    if os.path.isfile(os.path.join(checkout, "pyproject.toml")) and \
            os.path.isdir(os.path.join(checkout, "results")):
        return os.path.join(checkout, "results")
    return os.path.join(here, "_results")


RESULTS_ROOT = results_root()     # the checkout's results/, or the copy shipped with gtp


def v1_root(root=None):
    """The protocol-v1 folder (``table1-3/``, ``search/``, ``e20/``, ``sensitivity/``) under
    the results folder ``root`` (default ``RESULTS_ROOT``)."""
    return os.path.join(root or RESULTS_ROOT, "v1")


#: protocol v1's folder: where ``python -m gtp run v1`` writes and the v1 readers look
V1_ROOT = v1_root()


def cpu_model():
    """CPU model name from /proc/cpuinfo (or ``platform.processor()``), with the core count."""
    name = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{name or platform.processor() or 'unknown'} ({os.cpu_count()} logical CPUs)"


def git_commit(path=None):
    """``git rev-parse HEAD`` of the repository holding this package (None if unavailable)."""
    path = path or os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def provenance():
    """Library and numpy versions, git commit, CPU, Python, BLAS thread settings, time."""
    from .._version import __version__
    return {
        "gtp_version": __version__,
        "git_commit": git_commit(),
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _clean(obj):
    """JSON-safe copy: numpy scalars to Python, non-finite floats to None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj


@contextmanager
def atomic_write(path, mode="w", suffix=""):
    """Open a temporary file beside ``path`` for writing; on success it is flushed to disk
    and moved onto ``path`` (``os.replace``), on error removed: ``path`` is never partial."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=d)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path, obj):
    """Write ``obj`` as JSON to ``path`` atomically (temporary file + ``os.replace``)."""
    with atomic_write(path, "w", ".json") as f:
        json.dump(_clean(obj), f, indent=1, allow_nan=False)
        f.write("\n")


def save_record(path, record, **extra):
    """Save a training record (without its weights and rule state) plus ``extra`` keys as JSON."""
    rec = {k: v for k, v in record.items() if k not in ("weights", "state")}
    rec.update(extra)
    write_json(path, rec)


class CorruptResultError(ValueError):
    """A result file that is not a complete JSON record (truncated, empty, ``{}``)."""


class CorruptResultWarning(UserWarning):
    """A corrupt result file was skipped (its job counts as not done and reruns)."""


def load_record(path):
    """The JSON record at ``path``; ``CorruptResultError`` naming the file if it is not a
    complete, non-empty JSON object (``FileNotFoundError`` if there is none)."""
    try:
        with open(path, encoding="utf-8") as f:
            rec = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CorruptResultError(f"{path}: not a complete JSON result file ({err}); delete it "
                                 f"or run its experiment again to rewrite it") from None
    if not isinstance(rec, dict) or not rec:
        raise CorruptResultError(f"{path}: expected a JSON object with a run's record, got "
                                 f"{json.dumps(rec)[:40]}; delete it or run its experiment again")
    return rec


def read_result(path):
    """The record at ``path``, or ``None`` when there is none or it is corrupt: the one way
    every reader of result files (reports, status, ``--dry-run``, the runner) reads them, so
    a corrupt file is reported by its path (``CorruptResultWarning``) and skipped, and the
    job that owns it counts as not done and reruns (its rewrite is atomic)."""
    try:
        return load_record(path)
    except FileNotFoundError:
        return None
    except CorruptResultError as err:
        try:
            key = (os.path.abspath(path), os.stat(path).st_mtime_ns)
        except OSError:
            key = (os.path.abspath(path), None)
        if key not in _REPORTED:            # once per file (and version of it) per process
            _REPORTED.add(key)
            warnings.warn(f"{err} (skipped)", CorruptResultWarning, stacklevel=2)
        return None


_REPORTED = set()


def load_results(root, table=None):
    """All result records under ``root`` (``root/<table>/*.json``), each with ``_path``;
    corrupt files are reported and skipped (:func:`read_result`)."""
    pattern = os.path.join(root, table or "*", "*.json")
    out = []
    for p in sorted(glob.glob(pattern)):
        rec = read_result(p)
        if rec is None:
            continue
        rec["_path"] = p
        out.append(rec)
    return out


def aggregate(values):
    """``(mean, std, n)`` of the non-None values (std with ddof=1, 0 for one value)."""
    v = [float(x) for x in values if x is not None]
    if not v:
        return None, None, 0
    return float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, len(v)


def tolerance(*stds, floor):
    """The difference two means may show and still count as equal (points): the seeds'
    spread ``sqrt(sum(std^2))``, at least ``floor``."""
    return max(float(np.sqrt(sum((s or 0.0) ** 2 for s in stds))), floor)


def fmt_mean_std(values, scale=100.0, digits=2):
    """'97.12 ± 0.08 (3)' in percent; '-' if there is no value."""
    m, s, n = aggregate(values)
    if m is None:
        return "-"
    return f"{m * scale:.{digits}f} ± {s * scale:.{digits}f} ({n})"
