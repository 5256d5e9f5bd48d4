"""``make book`` after new result files (scripts/results_cache.py): the chapters that read
results are executed again, the others stay cached.  jupyter-cache keys a chapter on its
code only, and Sphinx re-reads only sources newer than its last read, so without this a
rebuild served the tables and verdicts of the old results."""
import os
import sys
import time
from pathlib import Path

import nbformat
from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import results_cache  # noqa: E402


def _chapter(path, code):
    path.write_text(f"# A chapter\n\n```{{code-cell}} ipython3\n{code}\n```\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _setup(tmp_path):
    book, results, build = tmp_path / "book", tmp_path / "results", tmp_path / "_build"
    book.mkdir()
    (results / "v3").mkdir(parents=True)
    (results / "v3" / "a.json").write_text('{"status": "finished"}')
    reads = book / "tables.md"
    pure = book / "theory.md"
    cache = get_cache(str(build / ".jupyter_cache"))
    for path, code in ((reads, "from gtp.reports import verdict_v3"), (pure, "import numpy")):
        nb = _chapter(path, code)
        cache.cache_notebook_bundle(_bundle(nb, path), check_validity=False)
    return book, results, build, reads, pure


def _bundle(nb, path):
    from jupyter_cache.base import CacheBundleIn
    return CacheBundleIn(nb, str(path))


def _cached(build):
    return sorted(os.path.basename(r.uri) for r in get_cache(str(build / ".jupyter_cache")).list_cache_records())


def test_new_results_re_execute_only_the_chapters_that_read_them(tmp_path):
    book, results, build, reads, pure = _setup(tmp_path)
    logs = []
    # a cache without a recorded digest: which results it was made from is unknown
    assert results_cache.refresh(build, results, book, log=logs.append) == [str(reads)]
    assert _cached(build) == ["theory.md"]
    # the build executes tables.md again and caches it; nothing changed since: nothing dropped
    get_cache(str(build / ".jupyter_cache")).cache_notebook_bundle(
        _bundle(_chapter(reads, "from gtp.reports import verdict_v3"), reads), check_validity=False)
    assert results_cache.refresh(build, results, book) == []
    assert _cached(build) == ["tables.md", "theory.md"]
    old = time.time() - 1000
    for p in (reads, pure):
        os.utime(p, (old, old))
    (results / "v3" / "b.json").write_text('{"status": "finished"}')         # a new result file
    assert results_cache.refresh(build, results, book, log=logs.append) == [str(reads)]
    assert _cached(build) == ["theory.md"]
    assert reads.stat().st_mtime > old + 500 and pure.stat().st_mtime == old   # Sphinx re-reads tables.md only
    assert logs == ["results/ changed since the last build: 1 chapter(s) that read it will be executed again"] * 2
    assert (build / ".results-digest").read_text().strip() == results_cache.results_digest(results)
    # a changed file counts as much as a new one
    before = results_cache.results_digest(results)
    (results / "v3" / "a.json").write_text('{"status": "diverged"}')
    assert results_cache.results_digest(results) != before


def test_the_books_result_chapters_include_the_verdict_pages():
    chapters = {Path(p).relative_to(ROOT / "book").as_posix() for p in results_cache.result_chapters()}
    assert {"training/tables.md", "closing.md", "reference/errata.md", "relatives/comparison.md",
            "training/tuning-lesson.md", "training/tables-v1.md"} <= chapters
    assert "theory/deriving-gtp.md" not in chapters
