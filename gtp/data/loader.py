"""Find, fetch, parse and cache the data sets; the functions behind :mod:`gtp.data`.

Where the files come from, for each official file, first success wins:

1. the cache folder ``<cache>/<name>/<file>`` (an earlier download; must match its checksum);
2. each folder ``<mirror>/<name>/<file>`` of ``GTP_DATA_MIRROR`` (validated by structure; a
   checksum mismatch only warns, since re-compressed copies are common);
3. CIFAR-10 only: a mirror folder ``<mirror>/cifar-10/`` holding the script ``build-binary``
   but no archive: the script builds the binary archive into a temporary folder of the cache
   (JPEG re-encoded pixels: a warning says so);
4. a download from the official hosts, verified, into the cache folder.

The parsed arrays then go to one self-checking cache file (see :mod:`gtp.data.cache`), which
later calls memory-map.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

from . import cache as _cache
from .download import DOWNLOAD_POLICY, checksum_problem, download
from .errors import DataError, DataFormatError, DownloadError
from .formats import parse_file
from .registry import get_dataset

ENV_MIRROR = "GTP_DATA_MIRROR"
ENV_DIR = "GTP_DATA_DIR"
BUILDER = "build-binary"       # the script that makes cifar-10-binary.tar.gz in a mirror folder
_STALE_SECONDS = 3600          # leftover temporary files untouched this long are removed
_REPO = Path(__file__).resolve().parents[2]
_PACKAGE = os.path.dirname(os.path.abspath(__file__))

log = logging.getLogger("gtp.data")


class DataWarning(UserWarning):
    """Something about the data the reader should know (re-encoded pixels, checksum mismatch
    of a local copy, a corrupt cache being rebuilt)."""


def _warn(message):
    """``warnings.warn(message, DataWarning)`` attributed to the first caller outside gtp.data."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, DataWarning, stacklevel=level)


def cache_dir(root=None) -> Path:
    """The cache folder: ``root`` if given, else ``$GTP_DATA_DIR``, else ``<repo>/data`` when
    running from the repository checkout, else ``$XDG_CACHE_HOME/gtp`` (``~/.cache/gtp``)."""
    if root is not None:
        return Path(root).expanduser()
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser()
    if (_REPO / "pyproject.toml").is_file() and (_REPO / "data" / "README.md").is_file():
        return _REPO / "data"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "gtp"


def mirror_dirs() -> list:
    """The folders listed in ``$GTP_DATA_MIRROR`` (``os.pathsep``-separated), in order."""
    return [Path(p).expanduser() for p in os.environ.get(ENV_MIRROR, "").split(os.pathsep) if p.strip()]


def cache_path(name, root=None) -> Path:
    """Where the parsed cache of data set ``name`` lives."""
    ds = get_dataset(name)
    return cache_dir(root) / ds.name / f"{ds.name}.gtpdata"


# ---------------------------------------------------------------- the parsed cache, memoised
_memo = {}                               # cache path -> (stat signature, arrays, meta)
_locks = defaultdict(threading.Lock)     # one build at a time per cache file in this process


def _signature(path):
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def _check_arrays(ds, arrays):
    """The cached arrays must have the shapes, type and label range of ``ds``."""
    want = {"train_images": (ds.n_train, ds.n_features), "train_labels": (ds.n_train,),
            "test_images": (ds.n_test, ds.n_features), "test_labels": (ds.n_test,)}
    for key, shape in want.items():
        arr = arrays.get(key)
        if arr is None or arr.shape != shape or arr.dtype != np.uint8:
            got = None if arr is None else (arr.shape, str(arr.dtype))
            raise _cache.CacheError(f"{key}: expected uint8 of shape {shape}, found {got}")
    for key in ("train_labels", "test_labels"):
        if arrays[key].size and arrays[key].max() >= len(ds.classes):
            raise _cache.CacheError(f"{key}: labels outside 0..{len(ds.classes) - 1}")


def _open_cache(ds, path):
    """Arrays and meta from a valid cache file, or ``None`` if there is none (warns if unusable)."""
    key = str(path)
    try:
        sig = _signature(path)
    except FileNotFoundError:
        return None
    hit = _memo.get(key)
    try:
        arrays, meta = hit[1:] if hit is not None and hit[0] == sig else _cache.read_cache(path)
        _check_arrays(ds, arrays)
    except FileNotFoundError:
        return None
    except _cache.CacheError as e:
        _memo.pop(key, None)
        _warn(f"{ds.title}: the cached copy is unusable ({e}); rebuilding it")
        return None
    _memo[key] = (sig, arrays, meta)
    return arrays, meta


def _arrays(ds, root, policy):
    path = cache_dir(root) / ds.name / f"{ds.name}.gtpdata"
    found = _open_cache(ds, path)
    if found is not None:
        return found
    with _locks[str(path)]:
        found = _open_cache(ds, path)  # another thread may have built it meanwhile
        if found is None:
            arrays, meta = _build(ds, path.parent, policy)
            _cache.write_cache(path, arrays, meta)
            _memo.pop(str(path), None)
            found = _open_cache(ds, path)
            if found is None:
                raise DataError(f"{ds.title}: the cache {path} could not be written and read back")
    return found


# ---------------------------------------------------------------- finding the official files
def _build(ds, folder: Path, policy):
    """Obtain every official file of ``ds`` and parse it; returns ``(arrays, meta)``."""
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder)
    arrays, sources, notes, mismatched, failed = {}, {}, [], [], {}
    dead_hosts = set()
    for spec in ds.files:
        try:
            parsed, source = _obtain(ds, spec, folder, policy, dead_hosts, notes)
        except _Unavailable as e:
            failed[spec.name] = e.tried
            continue
        arrays.update(parsed)
        sources[spec.name] = source
        if source.get("checksum", "").startswith("mismatch"):
            mismatched.append(spec.name)
    if failed:
        raise DownloadError(_unavailable_message(ds, folder, failed))
    if mismatched:
        note = (f"{len(mismatched)} file(s) from a local folder ({', '.join(mismatched)}) differ from the "
                f"published checksums; they passed the structure checks and are used (re-compressed "
                f"copies differ in checksum only).")
        notes.append(note)
        _warn(f"{ds.title}: {note}")
    return arrays, {"dataset": ds.name, "sources": sources, "notes": notes}


class _Unavailable(Exception):
    def __init__(self, tried):
        super().__init__("; ".join(tried))
        self.tried = tried


def _obtain(ds, spec, folder, policy, dead_hosts, notes):
    """Parsed arrays of one official file and a record of where they came from."""
    tried = []
    local = folder / spec.name
    if local.is_file():
        problem = checksum_problem(local, spec)
        if problem is None:
            try:
                return parse_file(ds, spec.role, local), {"origin": "cache folder", "path": str(local),
                                                          "checksum": "ok"}
            except DataFormatError as e:
                problem = str(e)
        _set_aside(ds, local, problem)
        tried.append(f"{local}: {problem}")
    for mirror in mirror_dirs():
        candidate = mirror / ds.name / spec.name
        if not candidate.is_file():
            tried.append(f"{candidate}: not found")
            continue
        try:
            parsed = parse_file(ds, spec.role, candidate)
        except DataFormatError as e:
            _warn(f"{ds.title}: ignoring {candidate}: {e}")
            tried.append(f"{candidate}: {e}")
            continue
        problem = checksum_problem(candidate, spec)
        return parsed, {"origin": "local folder", "path": str(candidate),
                        "checksum": "ok" if problem is None else f"mismatch: {problem}"}
    if spec.role == "archive":
        for mirror in mirror_dirs():
            script = mirror / ds.name / BUILDER
            if script.is_file():
                try:
                    return _build_with_script(ds, spec, script, folder, notes)
                except (DataError, OSError, subprocess.SubprocessError) as e:
                    _warn(f"{ds.title}: {script} failed: {e}")
                    tried.append(f"{script}: {e}")
    try:
        url = download([base + spec.name for base in ds.urls], local, spec, policy,
                       desc=f"{ds.title} {spec.name}", dead_hosts=dead_hosts)
    except DataError as e:
        tried.extend(str(e).splitlines())
        raise _Unavailable(tried) from None
    return parse_file(ds, spec.role, local), {"origin": "download", "url": url, "path": str(local),
                                              "checksum": "ok"}


def _build_with_script(ds, spec, script, folder, notes):
    """Run a mirror's ``build-binary`` into a temporary folder of the cache and parse its output."""
    log.info("building %s with %s", spec.name, script)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=folder))
    try:
        done = subprocess.run([sys.executable, str(script), "--out", str(tmp)], capture_output=True,
                              text=True, timeout=1800)
        if done.returncode != 0:
            raise DataError(f"exit status {done.returncode}: {done.stderr.strip()[-2000:]}")
        parsed = parse_file(ds, spec.role, tmp / spec.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    note = (f"built from {script.parent} by {BUILDER}: these are JPEG re-encoded images, so pixel "
            f"values differ slightly from the official {ds.title} and accuracies are close to, not "
            f"identical with, those on the official files.")
    notes.append(note)
    _warn(f"{ds.title}: {note}")
    return parsed, {"origin": f"local folder ({BUILDER})", "path": str(script), "checksum": "not applicable"}


def _set_aside(ds, path, problem):
    """A cache-folder file that fails its checks is renamed ``*.corrupt`` (kept, never used)."""
    aside = path.with_name(path.name + ".corrupt")
    _warn(f"{ds.title}: {path} is not the official file ({problem}); moved it to {aside.name}, "
          f"looking for the file elsewhere")
    try:
        os.replace(path, aside)
    except OSError:
        pass  # another loader moved it already


def _remove_stale(folder):
    """Delete temporary files and build folders left behind by interrupted loaders."""
    now = time.time()
    for p in list(folder.glob(".*.part")) + list(folder.glob(".build-*")):
        try:
            if now - p.stat().st_mtime > _STALE_SECONDS:
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        except OSError:
            pass


def _unavailable_message(ds, folder, failed):
    mirrors = os.environ.get(ENV_MIRROR)
    lines = [f"Could not obtain the {ds.title} data set ({ds.name!r}): no source worked for "
             f"{', '.join(failed)}.", "What was tried:"]
    for name, tried in failed.items():
        lines += [f"  {name}:"] + [f"    - {t}" for t in tried]
    lines += [
        "To use the data offline, get the official files from "
        f"{ds.homepage} ({', '.join(s.name for s in ds.files)}) and either",
        f"  - put them in the cache folder {folder} (they must match the published checksums), or",
        f"  - put them in a folder DIR/{ds.name}/ and set the environment variable {ENV_MIRROR}=DIR "
        f"(several folders separated by {os.pathsep!r}; checksum mismatches there only warn).",
        f"{ENV_MIRROR} is currently " + (f"{mirrors!r}." if mirrors else "not set."),
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- public functions
def fetch(name, root=None, policy=None) -> Path:
    """Make sure data set ``name`` is parsed and cached (downloading if needed); return the cache path."""
    ds = get_dataset(name)
    _arrays(ds, root, policy or DOWNLOAD_POLICY)
    return cache_dir(root) / ds.name / f"{ds.name}.gtpdata"


def load_uint8(name, split="train", root=None):
    """``(X, y)`` with ``X`` the raw pixels (read-only uint8 of shape ``(n, features)``, memory-mapped)
    and ``y`` int64 labels; same arguments as :func:`load`."""
    ds = get_dataset(name)
    part, start, stop = ds.split_range(split)
    arrays, _ = _arrays(ds, root, DOWNLOAD_POLICY)
    X = np.asarray(arrays[f"{part}_images"][start:stop])
    return X, np.asarray(arrays[f"{part}_labels"][start:stop]).astype(np.int64)


def load(name, split="train", dtype=np.float32, root=None):
    """Load a data set of the paper as ``(X, y)``.

    Parameters
    ----------
    name : ``"mnist"``, ``"fashion-mnist"`` or ``"cifar-10"``.
    split : ``"train"`` (the first 50,000 official training images; CIFAR-10: 45,000),
        ``"validation"`` (the last 10,000 of the official training set; CIFAR-10: the last 5,000,
        i.e. the second half of ``data_batch_5``), ``"test"`` (the official 10,000 test images) or
        ``"train+validation"`` (the whole official training set).
    dtype : a floating dtype for ``X``.
    root : the cache folder (default: see :func:`cache_dir`).

    Returns
    -------
    X : array of shape ``(n, 784)`` (MNIST, Fashion-MNIST) or ``(n, 3072)`` (CIFAR-10, the official
        channel-planar order: 1024 red, 1024 green, 1024 blue values, rows top to bottom),
        pixel values divided by 255 so that they lie in [0, 1].
    y : int64 array of shape ``(n,)``, class indices into :func:`class_names`.
    """
    ds = get_dataset(name)
    ds.split_range(split)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"dtype: expected a floating dtype such as np.float32 or np.float64, got {dtype!r}") from None
    if dt.kind != "f":
        raise ValueError(f"dtype: expected a floating dtype such as np.float32 or np.float64, got {dt}")
    X8, y = load_uint8(name, split, root)
    return np.divide(X8, 255, dtype=dt), y


def class_names(name) -> list:
    """The class names of data set ``name``, indexed by label."""
    return list(get_dataset(name).classes)


def cache_info(name, root=None):
    """Where the cached copy of ``name`` came from (``{"dataset", "sources", "notes"}``), or
    ``None`` if there is no valid cached copy yet. ``notes`` repeats the warnings given when it
    was built (JPEG re-encoding, checksum mismatches of local copies)."""
    ds = get_dataset(name)
    found = _open_cache(ds, cache_dir(root) / ds.name / f"{ds.name}.gtpdata")
    return None if found is None else found[1]
