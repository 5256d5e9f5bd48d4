"""Parsers of the official file formats, with structural validation.

Both parsers check everything they can without a checksum: magic numbers, counts, shapes,
record sizes and the label range. A file that fails raises :class:`DataFormatError` naming the
file and what is wrong. Nothing here unpickles or extracts archives to disk.
"""
from __future__ import annotations

import gzip
import tarfile
import zlib

import numpy as np

from .errors import DataFormatError

_IDX_UBYTE = 0x08  # IDX type code of unsigned bytes


def read_gzip(path) -> bytes:
    """The decompressed content of a .gz file (``DataFormatError`` if truncated or corrupt)."""
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
        raise DataFormatError(f"{path}: not a complete gzip file ({e})") from e


def parse_idx(data: bytes, shape, n_classes=None, where="IDX data") -> np.ndarray:
    """Decode an IDX byte string of unsigned bytes (LeCun's format) and check its dimensions.

    ``shape`` is the expected shape (e.g. ``(60000, 28, 28)`` or ``(60000,)``); with
    ``n_classes`` the values must be labels in ``0..n_classes-1``.
    """
    ndim = len(shape)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataFormatError(f"{where}: not an IDX file (bad magic number {data[:4].hex()})")
    if data[2] != _IDX_UBYTE or data[3] != ndim:
        raise DataFormatError(f"{where}: expected IDX magic 0x000008{ndim:02x} (unsigned bytes, {ndim}-D), "
                              f"got 0x{data[:4].hex()}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataFormatError(f"{where}: truncated IDX header")
    dims = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    if dims != tuple(shape):
        raise DataFormatError(f"{where}: expected dimensions {tuple(shape)}, the header says {dims}")
    if len(data) != header + int(np.prod(dims)):
        raise DataFormatError(f"{where}: expected {header + int(np.prod(dims))} bytes for dimensions {dims}, "
                              f"got {len(data)}")
    arr = np.frombuffer(data, np.uint8, offset=header).reshape(dims)
    _check_labels(arr, n_classes, where)
    return arr


def _check_labels(labels, n_classes, where):
    if n_classes is not None and labels.size and labels.max() >= n_classes:
        raise DataFormatError(f"{where}: labels must lie in 0..{n_classes - 1}, found {labels.max()}")


def cifar_member_names(ds):
    """Archive members of the CIFAR-10 binary version: 5 training batches, then the test batch."""
    return [f"cifar-10-batches-bin/data_batch_{b}.bin" for b in range(1, 6)] + ["cifar-10-batches-bin/test_batch.bin"]


def parse_cifar_records(data: bytes, n, ds, where) -> tuple:
    """Split ``n`` binary records (1 label byte + 3072 planar pixel bytes) into images and labels."""
    record = 1 + ds.n_features
    if len(data) != n * record:
        raise DataFormatError(f"{where}: expected {n} records of {record} bytes ({n * record} bytes), "
                              f"got {len(data)} bytes")
    rec = np.frombuffer(data, np.uint8).reshape(n, record)
    labels = rec[:, 0].copy()
    _check_labels(labels, len(ds.classes), where)
    return rec[:, 1:].copy(), labels


def parse_cifar_archive(ds, path) -> dict:
    """Read the CIFAR-10 binary tarball in one streaming pass (never extracting it to disk)."""
    if ds.n_train % 5:
        raise ValueError(f"{ds.name}: n_train must split into 5 batches, got {ds.n_train}")
    counts = dict(zip(cifar_member_names(ds), [ds.n_train // 5] * 5 + [ds.n_test]))
    meta_name = "cifar-10-batches-bin/batches.meta.txt"
    parts, meta = {}, None
    try:
        with tarfile.open(path, "r|gz") as tar:
            for member in tar:
                if member.name not in counts and member.name != meta_name:
                    continue
                where = f"{path}:{member.name}"
                if not member.isfile():
                    raise DataFormatError(f"{where}: not a regular file")
                data = tar.extractfile(member).read()
                if member.name == meta_name:
                    meta = data
                else:
                    parts[member.name] = parse_cifar_records(data, counts[member.name], ds, where)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        raise DataFormatError(f"{path}: not a complete tar.gz archive ({e})") from e
    missing = [m for m in counts if m not in parts]
    if missing:
        raise DataFormatError(f"{path}: member(s) {', '.join(missing)} missing")
    if meta is not None:
        _check_meta(meta, ds, path)
    train = [parts[m] for m in cifar_member_names(ds)[:5]]
    test = parts[cifar_member_names(ds)[5]]
    return {"train_images": np.concatenate([p[0] for p in train]),
            "train_labels": np.concatenate([p[1] for p in train]),
            "test_images": test[0], "test_labels": test[1]}


def _check_meta(meta: bytes, ds, path):
    """If the archive lists class names (batches.meta.txt), they must be the registry's."""
    names = [line.strip() for line in meta.decode("ascii", "replace").splitlines() if line.strip()]
    if names != list(ds.classes):
        raise DataFormatError(f"{path}: batches.meta.txt lists classes {names}, expected {list(ds.classes)}")


def parse_file(ds, role, path) -> dict:
    """Parse one official file of ``ds``; returns the arrays it holds (name -> uint8 array).

    IDX roles give one array (``train_images`` ...), the CIFAR-10 ``archive`` all four.
    """
    if role == "archive":
        return parse_cifar_archive(ds, path)
    part, kind = role.split("_")
    n = ds.n_train if part == "train" else ds.n_test
    if kind == "images":
        return {role: parse_idx(read_gzip(path), (n,) + ds.image_shape, where=str(path)).reshape(n, ds.n_features)}
    return {role: parse_idx(read_gzip(path), (n,), len(ds.classes), where=str(path))}
