"""The browser check finds what it is meant to find.

A small synthetic site, served and opened like the book, has one page without defects
and one page with a defect of every kind the book's pages are checked for; the check
must pass the first and name each defect of the second (and nothing about the external
host that cannot be reached).  Needs no built book, only the browser.
"""
import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import helpers  # noqa: E402

sys.path.insert(0, str(helpers.ROOT / "_ext"))
import book_site  # noqa: E402

HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="data:,"><style>body {{ width: 700px; }} img {{ max-width: 100%; }}</style>
<script>window.MathJax = {{options: {{processHtmlClass: "math"}}}};</script>
<script defer src="_static/mathjax/tex-mml-chtml.js"></script></head><body>"""

GOOD = HEAD.format(title="good") + """
<h1 id="top">Good</h1>
<p>Inline <span class="math">\\(y = f(z)\\)</span> and display:</p>
<div class="math">\\[\\frac{\\partial C}{\\partial y}\\]</div>
<img src="dot.png" alt="A blue dot"> <a href="bad.html">bad</a> <a href="good.html#top">top</a>
</body></html>"""

BAD = HEAD.format(title="bad") + """
<p>Broken maths: <span class="math">\\(\\frac{1}\\)</span></p>
<a href="missing.html">gone</a> <a href="good.html#nowhere">no anchor</a>
<img src="dot.png"> <img src="absent.png" alt="absent"> <img src="corrupt.png" alt="corrupt">
<script src="https://cdn.example.invalid/lib.js"></script>
<script>throw new Error("boom from the page");</script>
</body></html>"""

# A notebook page: the executed notebook has 4 code cells, one removed by its tag; on
# the page, the figure cell shows its image twice, another figure is printed as text
# instead of drawn, the last cell lost its output, and a figure far wider than the
# column is shrunk until its text is unreadable.
NOTEBOOK_PAGE = HEAD.format(title="notebook") + """
<div class="cell"><div class="cell_input"><pre>print("hello")</pre></div>
  <div class="cell_output"><pre>hello</pre><img src="wide.png" alt="a very wide figure"></div></div>
<div class="cell"><div class="cell_input"><pre>fig = draw()</pre></div>
  <div class="cell_output"><img src="dot.png" alt="a dot"><img src="dot.png" alt="a dot"></div></div>
<div class="cell"><div class="cell_input"><pre>fig</pre></div>
  <div class="cell_output"><figure><pre>&lt;Figure size 700x320 with 2 Axes&gt;</pre>
  <figcaption>A figure that was not drawn.</figcaption></figure></div></div>
<div class="cell"><div class="cell_input"><pre>x = 1 + 1
x</pre></div></div>
</body></html>"""


def code_cell(source, outputs=(), tags=()):
    return {"cell_type": "code", "source": source, "metadata": {"tags": list(tags)},
            "outputs": list(outputs), "execution_count": 1}


NOTEBOOK = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    code_cell("print(\"hello\")", [{"output_type": "stream", "name": "stdout", "text": "hello"}]),
    code_cell("import gtp", tags=["remove-cell"]),
    code_cell("fig = draw()", [{"output_type": "display_data", "metadata": {},
                                "data": {"image/png": "iVBORw0KGgo="}}]),
    code_cell("fig", [{"output_type": "execute_result", "metadata": {}, "execution_count": 1,
                       "data": {"text/plain": "<Figure size 700x320 with 2 Axes>"}}]),
    code_cell("x = 1 + 1\nx", [{"output_type": "execute_result", "metadata": {},
                                "data": {"text/plain": "2"}, "execution_count": 1}]),
]}

NO_MATHJAX = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>plain</title>
<link rel="icon" href="data:,"></head><body><p><span class="math">\\(x^2\\)</span></p></body></html>"""


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from PIL import Image
    root = tmp_path_factory.mktemp("site")
    book_site.copy_mathjax(root)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 114, 178)).save(buf, "PNG")
    (root / "dot.png").write_bytes(buf.getvalue())
    Image.new("RGB", (3000, 60), (230, 159, 0)).save(root / "wide.png")
    (root / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    for name, text in (("good.html", GOOD), ("bad.html", BAD), ("plain.html", NO_MATHJAX)):
        (root / name).write_text(text)
    (root / "nb.html").write_text(NOTEBOOK_PAGE)
    executed = tmp_path_factory.mktemp("executed")
    (executed / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    site = helpers.Site(root, executed)
    yield site
    site.close()


def test_a_good_page_passes(browser, synthetic):
    report, problems = helpers.page_problems(browser, synthetic, "good.html")
    assert problems == []
    assert report["math"] == 2 and report["math_typeset"] == 2
    assert report["mathjax"].startswith("3.")


def test_every_defect_is_named(browser, synthetic):
    _, problems = helpers.page_problems(browser, synthetic, "bad.html")
    text = "\n".join(problems)
    for words in ("broken link: missing.html (HTTP 404)",
                  "broken link: good.html#nowhere (no element with id 'nowhere')",
                  "image without alt text: dot.png",
                  "image not decoded: absent.png",
                  "image not decoded: corrupt.png",
                  "1 formulas with TeX errors",
                  "boom from the page"):
        assert words in text, f"{words!r} not reported in:\n{text}"
    assert "example.invalid" not in text          # unreachable external host: ignored
    # the 7 above, plus absent.png as a broken link and as a 404 in the console
    assert len(problems) == 9, text


def test_maths_left_as_tex_is_reported(browser, synthetic):
    _, problems = helpers.page_problems(browser, synthetic, "plain.html")
    assert problems == ["MathJax 3 did not load (version None), 1 formulas left as TeX"]


def test_notebook_cells_are_compared_with_the_executed_notebook(browser, synthetic):
    _, problems = helpers.page_problems(browser, synthetic, "nb.html")
    assert "cell 1: the same figure is shown twice (dot.png)" in "\n".join(problems)
    assert "cell 3: the notebook has an output, the page shows none" in problems
    assert any(p.startswith("cell 2: a matplotlib figure is printed as text") for p in problems)
    assert "no .ipynb download link" in problems
    assert any(p.startswith("Binder button missing") for p in problems)
    assert any(p.startswith("Colab button missing") for p in problems)
    assert any(p.startswith("figure wide.png is shrunk to") for p in problems)
    assert len(problems) == 7, problems
