"""Chapters executed several at a time before Sphinx reads them (_ext/book_site.py,
``execute_chapters``): a small book built with Jupyter Book, as ``make book`` builds the real
one.  The build must then execute nothing while reading (every page a cache hit), give
the same pages as a serial build, run each chapter in its folder with the build's
environment, and report a failing chapter as myst-nb does."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JB = Path(sys.executable).parent / "jupyter-book"

HEAD = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""
CHAPTERS = {
    "a/one": "# One\n\n```{code-cell} ipython3\nimport os\nfrom pathlib import Path\n"
             "print('cwd', Path.cwd().name, 'twins', os.environ.get('GTP_TWINS'))\n```\n",
    "a/two": "# Two\n\n```{code-cell} ipython3\nimport time\ntime.sleep(1)\n6 * 7\n```\n",
    "three": "# Three\n\n```{code-cell} ipython3\nprint(sum(range(10)))\n```\n",
}


def make_book(folder, chapters, jobs):
    folder.mkdir(parents=True)
    (folder / "_config.yml").write_text(f"""title: Small
only_build_toc_files: true
execute:
  execute_notebooks: cache
  timeout: 120
  allow_errors: false
sphinx:
  local_extensions:
    book_site: {ROOT / "_ext"}
  config:
    nb_execution_raise_on_error: true
    gtp_execution_jobs: {jobs}
""")
    (folder / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n" + "".join(
        f"  - file: {name}\n" for name in chapters))
    (folder / "index.md").write_text("# Small book\n")
    for name, body in chapters.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.md").write_text(HEAD + body)
    return folder


def build(folder):
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "GTP_TWINS")}
    out = subprocess.run([str(JB), "build", str(folder)], capture_output=True, text=True,
                         env=env, timeout=600)
    return out.returncode, re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)


def page(folder, name):
    html = (folder / "_build" / "html" / f"{name}.html").read_text()
    return html[html.index('<main'):html.index('</main>')]


pytestmark = pytest.mark.skipif(not JB.exists(), reason="jupyter-book is not installed")


def test_parallel_execution_fills_the_cache_and_matches_a_serial_build(tmp_path):
    parallel = make_book(tmp_path / "parallel", CHAPTERS, jobs=2)
    serial = make_book(tmp_path / "serial", CHAPTERS, jobs=1)
    code, log = build(parallel)
    assert code == 0, log
    assert "executing 3 chapters, 2 at a time" in log
    for name in CHAPTERS:
        assert re.search(rf"{name}: executed in [\d.]+ s", log), log
        assert re.search(rf"{name}\.md: Using cached notebook", log), log
    assert "Executing notebook" not in log           # myst-nb ran nothing while reading
    # Each chapter ran in its own folder, with the environment the build sets.
    assert "cwd a twins 1" in page(parallel, "a/one")
    code, log_serial = build(serial)
    assert code == 0, log_serial
    assert "executing" not in log_serial and "Executing notebook" in log_serial
    for name in CHAPTERS:
        assert page(parallel, name) == page(serial, name), name
    # A second build finds everything cached and starts no worker.
    code, again = build(parallel)
    assert code == 0 and "executing" not in again and "Executing notebook" not in again, again


def test_a_failing_chapter_is_reported_by_myst_nb_and_fails_the_build(tmp_path):
    chapters = dict(CHAPTERS, three="# Three\n\n```{code-cell} ipython3\n"
                                    "raise ValueError('the third chapter breaks')\n```\n")
    book = make_book(tmp_path / "failing", chapters, jobs=2)
    code, log = build(book)
    assert code != 0
    assert "three: execution failed (CellExecutionError)" in log
    # myst-nb runs it again while reading and reports it as without pre-execution:
    # the chapter's path, the exception and its traceback.
    assert re.search(r"three\.md: WARNING: Executing notebook failed: CellExecutionError", log), log
    assert "ValueError: the third chapter breaks" in log
    assert "ExecutionError" in log and str(book / "three.md") in log
    # The chapters that worked are cached for the next build.
    from jupyter_cache import get_cache
    cached = get_cache(str(book / "_build" / ".jupyter_cache")).list_cache_records()
    assert sorted(Path(r.uri).name for r in cached) == ["one.md", "two.md"]
