"""Every chapter is in the form JupyterLab saves, so opening, running and saving it in
JupyterLab (through jupytext) changes no byte; plumbing cells are collapsed there.
Fix a failure with ``make chapters`` (tests/lab/lab_form.py)."""
import json

import pytest
from lab_form import BOOK, COLLAPSED, KERNELSPEC, PLUMBING, ROOT, as_jupyterlab_saves, canonical, chapters, read

CHAPTERS = chapters()


def test_every_code_chapter_is_found():
    names = {p.relative_to(BOOK).as_posix() for p in CHAPTERS}
    assert {"theory/target-convergence.md", "initialisation/init-in-practice.md",
            "training/train-yourself.md"} <= names and len(names) >= 10


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.relative_to(BOOK).as_posix())
def test_chapter_is_canonical_and_survives_a_jupyterlab_save(path):
    text = path.read_text()
    assert canonical(path) == text, f"run `make chapters` to normalise {path.relative_to(ROOT)}"
    assert as_jupyterlab_saves(path) == text, "a JupyterLab save would change this chapter"
    nb = read(path)
    assert nb.metadata["kernelspec"] == KERNELSPEC
    for cell in nb.cells:
        if PLUMBING in cell.metadata.get("tags", []):
            assert cell.metadata.get("jupyter") == COLLAPSED


def test_jupyterlab_settings_are_one_file_shared_with_binder():
    settings = json.loads((ROOT / "binder" / "overrides.json").read_text())
    viewers = settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers == {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}
    assert "overrides.json" in (ROOT / "binder" / "postBuild").read_text()
    assert "binder/overrides.json" in (ROOT / "Makefile").read_text()
