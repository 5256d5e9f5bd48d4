"""Streaming HTTP downloads with checksum verification, retries with back-off, and mirrors.

A file is streamed into a uniquely named temporary file beside its destination while its
MD5/SHA-256 is computed, then checked (size and checksum) and renamed into place with
``os.replace``: the destination is either absent or a verified file, never a partial one.
Only the standard library (``urllib``) is used; the progress bar is ``tqdm.auto``, which draws
a widget in a notebook and text in a terminal.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import ChecksumError, DataError


@dataclass
class DownloadPolicy:
    """How hard to try. ``retries`` extra attempts per URL; the k-th retry waits
    ``min(backoff * 2**(k-1), max_backoff)`` seconds; ``timeout`` is the socket timeout."""
    retries: int = 3
    backoff: float = 2.0
    max_backoff: float = 60.0
    timeout: float = 60.0
    chunk_size: int = 1 << 20
    progress: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1, 2, ...)."""
        return min(self.backoff * 2 ** (retry - 1), self.max_backoff)


#: the policy used when none is passed; tests and impatient users may change its fields
DOWNLOAD_POLICY = DownloadPolicy()

_USER_AGENT = "gtp-data/1 (Python urllib; https://arxiv.org/abs/1810.09284 companion book)"


class _Permanent(DataError):
    """A failure that retrying the same URL will not fix (HTTP 404, wrong content)."""


def file_digest(path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def checksum_problem(path, spec):
    """``None`` if ``path`` matches the size and published checksums of ``spec``, else why not."""
    size = os.path.getsize(path)
    if size != spec.size:
        return f"size {size} bytes, expected {spec.size}"
    for algorithm in ("sha256", "md5"):
        want = getattr(spec, algorithm)
        if want and file_digest(path, algorithm) != want:
            return f"{algorithm.upper()} differs from the published {want}"
    return None


def _fetch_once(url, dest: Path, spec, policy: DownloadPolicy, desc: str):
    """One attempt: stream ``url`` to a temporary file, verify, rename to ``dest``."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    hashes = {a: hashlib.new(a) for a in ("md5", "sha256") if getattr(spec, a)}
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a download is as readable as any other file
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=policy.timeout) as resp:
            announced = resp.headers.get("Content-Length")
            if announced is not None and int(announced) != spec.size:
                raise _Permanent(f"server announces {announced} bytes, expected {spec.size}")
            received = 0
            with _progress(policy, spec.size, desc) as bar:
                while True:
                    chunk = resp.read(policy.chunk_size)
                    if not chunk:
                        break
                    received += len(chunk)
                    if received > spec.size:
                        raise _Permanent(f"server sent more than the expected {spec.size} bytes")
                    out.write(chunk)
                    for h in hashes.values():
                        h.update(chunk)
                    bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if received != spec.size:
            raise DataError(f"truncated transfer: {received} of {spec.size} bytes")
        for algorithm, h in hashes.items():
            if h.hexdigest() != getattr(spec, algorithm):
                raise ChecksumError(f"{algorithm.upper()} {h.hexdigest()} differs from the published "
                                    f"{getattr(spec, algorithm)}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _progress(policy, total, desc):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                disable=not policy.progress, leave=False)


def _is_transient(error) -> bool:
    """Would retrying the same URL plausibly help?"""
    if isinstance(error, urllib.error.HTTPError):
        return error.code >= 500 or error.code in (408, 429)
    if isinstance(error, (_Permanent, ChecksumError)):
        return False
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, socket.gaierror):
        return False  # unknown host or no network at all: waiting will not fix it
    return True


def _unreachable(error) -> bool:
    """A failure to reach the host at all (as opposed to an HTTP answer or bad content)."""
    return (isinstance(error, (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError))
            and not isinstance(error, urllib.error.HTTPError))


def download(urls, dest, spec, policy: DownloadPolicy = None, desc: str = None, dead_hosts=None) -> str:
    """Download ``spec`` (a :class:`~gtp.data.registry.RemoteFile`) to ``dest``.

    Each URL of ``urls`` is tried up to ``1 + policy.retries`` times, waiting with exponential
    back-off between attempts; failures that another attempt cannot fix (HTTP 4xx, checksum
    mismatch, wrong size, unknown host) move on to the next URL at once. ``dead_hosts`` (a set,
    shared between the files of one data set) collects hosts that could not be reached at all,
    so that the next files skip them. Returns the URL that worked; raises :class:`DataError`
    listing every failure when none did.
    """
    policy = policy or DOWNLOAD_POLICY
    dead_hosts = set() if dead_hosts is None else dead_hosts
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls:
        host = urllib.parse.urlsplit(url).netloc
        if host in dead_hosts:
            failures.append(f"{url}: skipped, {host} could not be reached for an earlier file")
            continue
        for attempt in range(policy.retries + 1):
            if attempt:
                policy.sleep(policy.delay(attempt))
            try:
                _fetch_once(url, dest, spec, policy, desc or spec.name)
                return url
            except (urllib.error.URLError, http.client.HTTPException, OSError, DataError) as e:
                failures.append(f"{url} (attempt {attempt + 1}): {_describe(e)}")
                last = e
                if not _is_transient(e):
                    break
        if _unreachable(last):
            dead_hosts.add(host)
    raise DataError("\n".join(failures) or "no URL to download from")


def _describe(error) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"cannot connect ({error.reason})"
    return f"{type(error).__name__}: {error}"
