"""The chapters' canonical jupytext form: what JupyterLab writes back when a reader opens,
runs and saves a chapter without editing it, so that doing so changes no byte.

``python tests/lab/lab_form.py [FILE.md ...]`` (``make chapters``) rewrites chapters into
that form; ``tests/lab/test_roundtrip.py`` checks that every chapter is in it.  The form
is jupytext's MyST writer with the repository's ``jupytext.toml``, plus:

- the kernelspec a live kernel reports (JupyterLab stores it when the kernel starts);
- build-plumbing cells (tagged ``remove-cell``: glue, hidden asserts) collapsed in the
  notebook view (``jupyter: {source_hidden: true}``): they still run, but a reader sees
  prose, code that teaches, and outputs.  (Not ``outputs_hidden``: JupyterLab shows the
  outputs of a cell again when it runs it, and would then save the changed metadata.)
"""
import sys
from pathlib import Path

import jupytext
from jupytext.config import load_jupytext_config

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
#: what ipykernel's ``python3`` kernel reports, in the order JupyterLab writes it into the
#: notebook when the kernel starts (jupytext keeps that order)
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
PLUMBING = "remove-cell"
COLLAPSED = {"source_hidden": True}


def chapters():
    """Every MyST notebook of the book (a ``.md`` file with a kernelspec)."""
    return [p for p in sorted(BOOK.rglob("*.md"))
            if ".ipynb_checkpoints" not in p.parts and is_notebook(p.read_text())]


def is_notebook(text):
    return text.startswith("---\n") and "\nkernelspec:" in text.split("\n---\n", 1)[0]


def read(path):
    return jupytext.read(path, fmt="md:myst")


def write_text(nb, path):
    """``nb`` as jupytext writes ``path`` (with the repository's configuration)."""
    return jupytext.writes(nb, fmt="md:myst", config=load_jupytext_config(str(path)))


def canonical(path):
    """The canonical text of the chapter at ``path``."""
    nb = read(path)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        if cell.cell_type == "code" and PLUMBING in cell.metadata.get("tags", []):
            cell.metadata["jupyter"] = dict(COLLAPSED)
    return write_text(nb, path)


def as_jupyterlab_saves(path):
    """What JupyterLab's save writes for an unedited chapter after running it: the
    notebook as read, plus the metadata a running kernel and the widgets add."""
    nb = read(path)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3",
                                    "version": sys.version.split()[0]}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata["trusted"] = True
            cell.metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    return write_text(nb, path)


def main(paths):
    changed = 0
    for p in (Path(a) for a in paths) if paths else chapters():
        text = p.read_text()
        if not is_notebook(text):
            continue
        new = canonical(p)
        if new != text:
            p.write_text(new)
            changed += 1
            print(f"normalised {p}")
    print(f"{changed} chapter(s) changed")


if __name__ == "__main__":
    main(sys.argv[1:])
