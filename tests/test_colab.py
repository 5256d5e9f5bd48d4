"""Every chapter's notebook editions run top to bottom in a clean environment (issues 17, 27).

The editions are the ones the book build wrote (``_ext/notebook_editions.py``): the student
edition in ``_build/html/_colab/`` (behind the Colab, Binder and download buttons) and the
teacher edition in ``_build/html/_teacher/``, so ``make book`` must have run first
(``make editions`` runs this file after the strict build).  They are plain Jupyter: no MyST
syntax and no glue placeholder is left, the student edition has no solution and the
teacher edition has every one.  The environment is what a student meets on
Colab: a fresh virtual environment holding only ``gtp`` (installed from this checkout, as
the copy's install cell would install it from the repository), its dependencies and
``ipykernel`` -- no myst-nb, no jupytext, no checkout beside the notebook.  Each copy is
executed with nbclient in an empty folder, with the data sets from ``GTP_DATA_MIRROR`` and
one BLAS thread; pytest-xdist runs two chapters at a time.
"""
import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "_ext"))
import chapters  # noqa: E402
import myst_to_jupyter  # noqa: E402

SITE = ROOT / "_build" / "html"
FOLDERS = {"student": "_colab", "teacher": "_teacher"}

# What a source distribution of gtp needs (pyproject.toml says what goes in the wheel).
PACKAGE_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "gtp", "results")
KERNEL = "gtp-clean"
CELL_TIMEOUT = 900      # seconds; the slowest cell trains a network for the training panel


def _copy_source(dest):
    """The files of the package, as a fresh clone has them (no caches, no build output)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "checkpoints", ".checkpoints")
    for name in PACKAGE_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=skip)
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


def _run(cmd, **kw):
    """Run ``cmd`` quietly; its output is shown only when it fails."""
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"


def _make_env(base):
    """Create ``base/venv`` with gtp (from a copy of this checkout) and ipykernel, and a
    kernel spec for it under ``base/kernel-prefix``."""
    src = _copy_source(base / "src")
    python = base / "venv" / "bin" / "python"
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(base / "venv")], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run(pip + [str(src), "ipykernel"], cwd=base)
    _run([str(python), "-m", "ipykernel", "install", "--prefix", str(base / "kernel-prefix"), "--name", KERNEL],
         cwd=base)
    shutil.rmtree(src)          # nothing of the checkout is left beside the notebooks
    return python


@pytest.fixture(scope="session")
def clean_env(tmp_path_factory, worker_id):
    """One clean environment per test session, shared by the xdist workers (file lock)."""
    base = tmp_path_factory.getbasetemp()
    shared = (base if worker_id == "master" else base.parent) / "colab-env"   # this session's
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = shared / ".ready"
        if not ready.exists():
            _make_env(shared)
            ready.touch()
    python = shared / "venv" / "bin" / "python"
    kernels = shared / "kernel-prefix" / "share" / "jupyter" / "kernels"
    return python, kernels


def test_the_clean_environment_is_clean(clean_env, tmp_path):
    """The kernel sees the installed package, not this checkout, and has no build tools."""
    python, _ = clean_env
    probe = ("import importlib.util as u, gtp, os; "
             "print(os.path.dirname(gtp.__file__)); "
             "print([m for m in ('myst_nb', 'jupytext', 'jupyter_book') if u.find_spec(m)]); "
             "print(gtp.results_root())")
    out = subprocess.run([str(python), "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                         check=True, env=_kernel_env(python)).stdout.split("\n")
    assert "site-packages" in out[0] and ROOT not in Path(out[0]).parents, out[0]
    assert out[1] == "[]", f"build tools in the clean environment: {out[1]}"
    # The committed results ship inside the package, all of them.
    shipped = Path(out[2])
    assert shipped == Path(out[0]) / "_results", shipped
    committed = {p.relative_to(ROOT / "results") for p in (ROOT / "results").rglob("*.json")
                 if "checkpoints" not in str(p)}
    assert committed and committed == {p.relative_to(shipped) for p in shipped.rglob("*.json")}


def _kernel_env(python):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "MPLBACKEND", "VIRTUAL_ENV", "JUPYTER_PATH")}
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(python.parent.parent)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    mirror = ROOT.parent / "shared" / "datasets"
    if "GTP_DATA_MIRROR" not in env and mirror.is_dir():
        env["GTP_DATA_MIRROR"] = str(mirror)
    return env


def built_edition(chapter, edition):
    """The edition the build wrote for ``chapter`` (``book/x.md``)."""
    path = SITE / FOLDERS[edition] / Path(chapter).with_suffix(".ipynb")
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make book` first")
    return nbformat.read(path, as_version=4)


CHAPTERS = [str(p.relative_to(ROOT)) for p in chapters.notebooks()]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_editions_are_plain_jupyter(chapter):
    import re
    source = (ROOT / chapter).read_text()
    exercises = len(re.findall(r"^(?:`{3,}|:{3,})\{exercise(?:-start)?\}", source, re.M))
    solutions = len(re.findall(r"^(?:`{3,}|:{3,})\{solution(?:-start)?\}", source, re.M))
    student, teacher = (built_edition(chapter, e) for e in ("student", "teacher"))
    for nb in (student, teacher):
        nbformat.validate(nb)
        assert myst_to_jupyter.leftover_myst(nb) == []
        text = "\n".join(c.source for c in nb.cells)
        assert "{glue" not in text and "{doc}" not in text and ":::" not in text
        md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert [int(n) for n in re.findall(r"\*\*Exercise (\d+)", md)] == \
            list(range(1, exercises + 1)), "exercises are numbered 1, 2, ... in each chapter"
    # the web page numbers its exercises 1, 2, ... too (not through the whole book)
    page = (SITE / Path(chapter).with_suffix(".html")).read_text()
    assert sorted({int(n) for n in re.findall(r"Exercise (\d+)", page)}) == \
        list(range(1, exercises + 1))
    t_md = "\n".join(c.source for c in teacher.cells if c.cell_type == "markdown")
    s_md = "\n".join(c.source for c in student.cells if c.cell_type == "markdown")
    assert len(re.findall(r"\*\*Solution to Exercise \d+", t_md)) == solutions
    assert "Solution to Exercise" not in s_md
    # the download button gives the student edition, with the build's outputs
    download = nbformat.read(SITE / "_sources" / Path(chapter).with_suffix(".ipynb"), as_version=4)
    assert download.cells == student.cells
    assert any(c.get("outputs") for c in student.cells if c.cell_type == "code"), \
        "the download carries no outputs"


def _is_subsequence(part, whole):
    it = iter(whole)
    return all(any(x == y for y in it) for x in part)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_student_editions_code_is_the_teachers_less_the_solutions(chapter):
    """So running the teacher edition (below) runs every code cell of the student edition,
    in the same order: one clean-environment run covers both, in half the time."""
    student, teacher = (built_edition(chapter, e) for e in ("student", "teacher"))
    code = lambda nb: [c.source for c in nb.cells if c.cell_type == "code"]  # noqa: E731
    assert _is_subsequence(code(student), code(teacher))
    assert len(code(student)) <= len(code(teacher))


@pytest.mark.parametrize("edition", ["teacher"])
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_edition_runs_in_a_clean_environment(chapter, edition, clean_env, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    python, kernels = clean_env
    nb = built_edition(chapter, edition)
    for cell in nb.cells:                      # run from scratch, as a student would
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    monkeypatch.setenv("JUPYTER_PATH", str(kernels.parent))    # where the kernel spec is
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute(env=_kernel_env(python))
    finally:    # the executed edition, to read when it fails
        nbformat.write(nb, tmp_path / Path(chapter).with_suffix(".ipynb").name)


# --- the pieces, without a clean environment ---------------------------------------------

def test_glue_and_put_do_nothing_without_myst_nb(monkeypatch, capsys):
    from gtp import book
    monkeypatch.setitem(sys.modules, "myst_nb", None)        # import myst_nb -> ImportError
    assert book.put("key", 1.5) is None and book.glue("key", 2, display=False) is None
    assert capsys.readouterr().out == ""


def test_put_glues_plain_numbers_with_myst_nb(monkeypatch):
    import types

    import numpy as np

    from gtp import book
    calls = []
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: calls.append((name, value, display))
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    book.put("acc", np.float64(0.25))
    book.glue("fig", "x")
    assert calls == [("acc", 0.25, False), ("fig", "x", True)]
    assert type(calls[0][1]) is float                          # {glue:text} cannot format numpy


def test_chapters_glue_only_through_gtp_book():
    for path in chapters.notebooks():
        text = path.read_text()
        assert "from myst_nb" not in text and "import myst_nb" not in text, \
            f"{path.relative_to(ROOT)}: use `from gtp.book import glue, put` (myst-nb is not on Colab)"


def test_results_root_is_the_checkout_here_else_the_package(tmp_path, monkeypatch):
    import gtp
    from gtp.engine import records
    from gtp.experiments import protocol_v1 as reproduce
    from gtp.experiments import sensitivity_grids as sensitivity
    assert Path(gtp.results_root()) == ROOT / "results"
    assert Path(reproduce.DEFAULT_ROOT) == Path(sensitivity.DEFAULT_ROOT) == ROOT / "results" / "v1"
    # The same module installed elsewhere (no pyproject.toml beside the package folder).
    pkg = tmp_path / "site-packages" / "gtp"
    pkg.mkdir(parents=True)
    monkeypatch.setattr(records, "__file__", str(pkg / "engine" / "records.py"))
    assert Path(gtp.results_root()) == pkg / "_results"


def test_check_version_explains_a_mismatch():
    import gtp
    assert gtp.check_version(gtp.__version__) == gtp.__version__
    with pytest.raises(RuntimeError, match=r"written for gtp 0\.0\.1, but gtp .* is loaded") as err:
        gtp.check_version("0.0.1")
    assert "make setup" in str(err.value) and "first cell" in str(err.value) and "restart" in str(err.value)
