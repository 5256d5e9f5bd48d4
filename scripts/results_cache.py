"""Re-execute the chapters that read ``results/`` when the result files changed.

The book executes its chapters through jupyter-cache (``execute_notebooks: cache``), which
keys a chapter on its code only: after new result files (``python -m gtp run v3`` and a
commit), ``make book`` would serve the tables, verdicts and figures of the old results.
``make book`` runs this first: when the digest of every file under ``results/`` differs from
the one recorded at the last build, the cache records of the chapters that read results
(their source names ``gtp.reports``, ``gtp.experiments``, ``results/`` or a static twin) are
removed and their sources touched (Sphinx re-reads only sources newer than its last read),
so that the build executes those again and only those.

    python scripts/results_cache.py [BUILD]      # BUILD: _build by default
"""
import hashlib
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: a chapter that mentions one of these may show numbers read from results/
READS_RESULTS = re.compile(r"gtp\.reports|from gtp import reports|gtp\.experiments|results/|twin")


def results_digest(results=ROOT / "results"):
    """SHA-256 over the relative path and bytes of every file under ``results``."""
    h = hashlib.sha256()
    for path in sorted(p for p in Path(results).rglob("*") if p.is_file()):
        h.update(path.relative_to(results).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def result_chapters(book=ROOT / "book"):
    """The chapter sources (absolute paths) that may read results."""
    return sorted(str(p) for p in Path(book).rglob("*.md") if READS_RESULTS.search(p.read_text(encoding="utf-8")))


def refresh(build, results=ROOT / "results", book=ROOT / "book", log=print):
    """Drop the cached executions of ``result_chapters`` when ``results`` changed since the
    digest recorded in ``<build>/.results-digest``; record the new digest.  Returns the
    sources whose records were removed."""
    build = Path(build)
    stamp = build / ".results-digest"
    digest = results_digest(results)
    if stamp.exists() and stamp.read_text().strip() == digest:
        return []
    removed = []
    cache_dir = build / ".jupyter_cache"
    if cache_dir.exists():
        from jupyter_cache import get_cache
        cache = get_cache(str(cache_dir))
        chapters = set(result_chapters(book))
        for rec in cache.list_cache_records():
            if rec.uri in chapters:
                cache.remove_cache(rec.pk)
                removed.append(rec.uri)
        for source in chapters:
            os.utime(source)
        if removed:
            log(f"results/ changed since the last build: {len(set(removed))} chapter(s) that read it "
                f"will be executed again")
    build.mkdir(parents=True, exist_ok=True)
    tmp = stamp.with_name(stamp.name + ".tmp")
    tmp.write_text(digest + "\n")
    os.replace(tmp, stamp)
    return sorted(set(removed))


if __name__ == "__main__":
    refresh(sys.argv[1] if len(sys.argv) > 1 else ROOT / "_build")
