"""Slides of each part and the whole-book PDF (scripts/handouts.py), on the built book.

``make book`` writes them; ``make teaching`` runs this file after the strict build.  The
PDF checks skip without Chromium (as the browser tests do), the rest needs only the build.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import handouts  # noqa: E402

SITE = ROOT / "_build" / "html"


def built(path):
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make book` first")
    return path


def test_part_deck_makes_headings_slides_and_keeps_only_figures(tmp_path):
    v4 = nbformat.v4
    png = v4.new_output("display_data", data={"image/png": "AAAA", "text/plain": "<Figure>"})
    text = v4.new_output("stream", text="printed\n")
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# Chapter"), v4.new_markdown_cell("Prose."),
                                v4.new_code_cell("x = 1", outputs=[text]),
                                v4.new_code_cell("fig", outputs=[text, png]),
                                v4.new_markdown_cell("## Section")])
    nbformat.write(nb, tmp_path / "c.ipynb")
    deck = handouts.part_deck("Theory", [tmp_path / "c.ipynb"])
    kinds = [c.metadata["slideshow"]["slide_type"] for c in deck.cells]
    assert kinds == ["slide", "slide", "subslide", "subslide", "slide"]
    assert deck.cells[0].source.startswith("# Theory") and "CC BY 4.0" in deck.cells[0].source
    figure = deck.cells[3]
    assert figure.source == "" and [list(o.data) for o in figure.outputs] == [["image/png"]]
    assert len({c.id for c in deck.cells}) == len(deck.cells)


def test_a_slide_deck_per_part_that_works_offline():
    parts = handouts.parts(SITE)
    assert len(parts) >= 6                          # Getting started ... Conclusion, Reference
    for caption, paths in parts:
        deck = built(SITE / "_slides" / f"{handouts.slug(caption)}.slides.html")
        html = deck.read_text()
        # nothing from the network: every script and stylesheet is a file of the site
        remote = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:[^"]+)"', html)
        assert remote == [], f"{deck.name} loads {remote}"
        for ref in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"#]+)"', html):
            assert (deck.parent / ref).resolve().exists(), f"{deck.name}: {ref} is missing"
        assert html.count("<section") >= 2 * len(paths)
        for path in paths:                          # every chapter's title is on a slide
            title = nbformat.read(path, as_version=4).cells[0].source.split("\n")[0][2:]
            assert title.split(":")[0] in html, f"{deck.name} lacks {title!r}"


@pytest.mark.skipif(handouts.browser() is None, reason="no chromium (apt-get install chromium)")
def test_slides_start_and_typeset_maths_in_a_browser():
    deck = built(SITE / "_slides" / "theory.slides.html")
    cmd = [handouts.browser(), "--headless", "--no-sandbox", "--disable-gpu",
           "--virtual-time-budget=20000", "--dump-dom", deck.as_uri()]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=300).stdout
    assert re.search(r'class="reveal[^"]*\bready\b', dom), "reveal.js did not start"
    assert "<mjx-container" in dom, "MathJax did not typeset the slides"


@pytest.mark.skipif(handouts.browser() is None, reason="no chromium (apt-get install chromium)")
def test_the_book_pdf_holds_every_chapter_and_the_solutions_in_an_appendix():
    from pypdf import PdfReader
    pdf = built(SITE / "_pdf" / handouts.PDF_NAME)
    pages = [p.extract_text() for p in PdfReader(pdf).pages]
    text = " ".join("\n".join(pages).replace("\ufb01", "fi").replace("\ufb02", "fl").split())
    assert len(pages) > 60
    appendix = text.index("Appendix: solutions")
    teacher = sorted((SITE / "_teacher").rglob("*.ipynb"))
    solutions = sum(len(re.findall(r"\*\*Solution to Exercise \d+", c.source))
                    for t in teacher for c in nbformat.read(t, as_version=4).cells
                    if c.cell_type == "markdown")
    assert solutions >= 40
    # every solution, and only in the appendix; every chapter before it
    assert text.count("Solution to Exercise") == solutions
    assert text.index("Solution to Exercise") > appendix
    for t in teacher:
        title = nbformat.read(t, as_version=4).cells[0].source.split("\n")[0][2:]
        title = " ".join(title.split())
        assert 0 <= text.find(title[:30]) < appendix, f"{title!r} is not before the appendix"
    # equations are typeset, not printed as TeX source
    assert "$$" not in text and "\\frac" not in text and "\\partial" not in text


def test_no_chromium_skips_the_pdf_with_a_message(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert handouts.pdf(tmp_path) is None
    assert "PDF skipped" in capsys.readouterr().out
