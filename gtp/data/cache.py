"""The parsed cache: one self-checking binary file per data set, written atomically.

Layout of ``<cache folder>/<name>/<name>.gtpdata``::

    8 bytes   magic b"GTPDATA1"
    8 bytes   header length H (unsigned, little-endian)
    H bytes   JSON header: arrays (name, dtype, shape, offset), payload size, payload SHA-256,
              and where the data came from
    padding   to a multiple of 64 bytes
    payload   the uint8 arrays, each starting at a multiple of 64 bytes

A reader checks the magic, the header, the file size and the SHA-256 of the payload before
using anything, then memory-maps the arrays read-only. A writer writes a uniquely named
temporary file in the same folder and renames it into place with ``os.replace``, so a reader
sees either the old complete file or the new complete one, and two processes building the
same cache at once both succeed.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from pathlib import Path

import numpy as np

MAGIC = b"GTPDATA1"
VERSION = 1
_ALIGN = 64
_PREFIX = len(MAGIC) + 8


class CacheError(Exception):
    """The cache file is missing pieces, truncated or corrupt (the message says which)."""


def _align(n):
    return -(-n // _ALIGN) * _ALIGN


def write_cache(path, arrays: dict, meta: dict) -> Path:
    """Atomically write ``arrays`` (name -> uint8 array) and ``meta`` (JSON-able) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    entries, offset = [], 0
    digest = hashlib.sha256()
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        entries.append({"name": name, "dtype": arr.dtype.str, "shape": list(arr.shape),
                        "offset": offset, "nbytes": arr.nbytes})
        offset = _align(offset + arr.nbytes)
    payload_bytes = offset
    # hash exactly the bytes that will be on disk, padding included
    for e, arr in zip(entries, arrays.values()):
        digest.update(np.ascontiguousarray(arr).data)
        digest.update(bytes(_align(e["offset"] + e["nbytes"]) - e["offset"] - e["nbytes"]))
    header = {"version": VERSION, "arrays": entries, "payload_bytes": payload_bytes,
              "sha256": digest.hexdigest(), "meta": meta}
    head = json.dumps(header, sort_keys=True).encode()
    start = _align(_PREFIX + len(head))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a cache is as readable as any other file
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + struct.pack("<Q", len(head)) + head)
            f.write(bytes(start - _PREFIX - len(head)))
            for e, arr in zip(entries, arrays.values()):
                f.write(np.ascontiguousarray(arr).data)
                f.write(bytes(_align(e["offset"] + e["nbytes"]) - e["offset"] - e["nbytes"]))
            f.flush()
            os.fsync(f.fileno())
        _replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _replace(tmp, path):
    """``os.replace``; on Windows a file mapped by another process cannot be replaced: if the
    file in place is a valid cache (another loader just wrote the same data), keep it."""
    try:
        os.replace(tmp, path)
    except PermissionError as e:
        try:
            verify(path)
        except (CacheError, OSError):
            raise e from None


def read_header(path) -> dict:
    """The JSON header of a cache file, after checking the magic and the file size."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            prefix = f.read(_PREFIX)
            if len(prefix) < _PREFIX or prefix[:len(MAGIC)] != MAGIC:
                raise CacheError(f"{path}: not a gtp data cache (bad magic number)")
            (n,) = struct.unpack("<Q", prefix[len(MAGIC):])
            if n > size:
                raise CacheError(f"{path}: truncated header")
            header = json.loads(f.read(n).decode())
    except FileNotFoundError:
        raise
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise CacheError(f"{path}: unreadable header ({e})") from e
    if not isinstance(header, dict) or header.get("version") != VERSION:
        raise CacheError(f"{path}: unknown cache version")
    header["_start"] = _align(_PREFIX + n)
    if size != header["_start"] + header["payload_bytes"]:
        raise CacheError(f"{path}: expected {header['_start'] + header['payload_bytes']} bytes, "
                         f"found {size} (truncated or overwritten)")
    return header


def verify(path, header=None) -> dict:
    """Check the SHA-256 of the payload; return the header."""
    header = header or read_header(path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(header["_start"])
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    if digest.hexdigest() != header["sha256"]:
        raise CacheError(f"{path}: checksum mismatch (the file is corrupt)")
    return header


def read_cache(path) -> tuple:
    """``(arrays, meta)`` from a verified cache file; arrays are read-only memory maps."""
    header = verify(path)
    arrays = {}
    for e in header["arrays"]:
        count = int(np.prod(e["shape"]))
        arrays[e["name"]] = np.memmap(path, dtype=np.dtype(e["dtype"]), mode="r",
                                      offset=header["_start"] + e["offset"],
                                      shape=tuple(e["shape"])) if count else \
            np.zeros(e["shape"], np.dtype(e["dtype"]))
    return arrays, header["meta"]
