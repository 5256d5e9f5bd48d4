"""The reading check (``reading.py``, ``test_reading.py``) finds what it is meant to find.

A synthetic site, served and opened like the book at 1280 and 390 px, both pages with the
theme's layout of display maths: one page with the book's stylesheet
(``_static/custom.css``) and a numbered display equation, code, an output and a table
too wide for the column, each of which must then be whole or scroll to both ends (no
problem), and one page with every defect: the same equation cut off on the left (the
theme's layout alone), a code block and a table clipped by a box that
hides its overflow, a line too long for the screen, visible glue/put/assert lines, a
twin slider without its values, and more bytes than the budget.  Needs the browser only.
"""
import io
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import helpers  # noqa: E402
import reading  # noqa: E402

sys.path.insert(0, str(helpers.ROOT / "_ext"))
import book_site  # noqa: E402

HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><style>
body {{ margin: 0; }} .bd-article {{ max-width: 700px; margin: 0 auto; padding: 0 10px; }}
{css}</style>
<script>window.MathJax = {{options: {{processHtmlClass: "math"}}}};</script>
<script defer src="_static/mathjax/tex-mml-chtml.js"></script>{extra}</head><body><main class="bd-article">"""

WIDE_TEX = " + ".join(f"\\frac{{\\partial C_{{{k}}}}}{{\\partial W_{{{k}}}}}" for k in range(30)) + \
    "\\tag{1}"
LONG_LINE = "x = " + " + ".join(f"value_{k}" for k in range(40))
WIDE_TABLE = "<table><tr>" + "".join(f"<td>column {k}</td>" for k in range(40)) + "</tr></table>"
TWIN_DATA = ('{"controls":[{"name":"tau","label":"tau","texts":["1","5","25"]}],'
             '"frames":[{"src":"dot.png","alt":"a","readout":"r"},'
             '{"src":"dot.png","alt":"b","readout":"r"},{"src":"dot.png","alt":"c","readout":"r"}]}')

# A 2x figure 1400 px wide whose smallest text is 25 px high in the image (9 pt at 200 dpi):
# on a phone it must be shown at least 700 px wide (12.5 px text), as _ext/figure_images.py
# asks with --gtp-phone-width; shrunk to the screen, its text is 6.6 px.
FIGURE = '<img src="figure.png" alt="a figure" style="{style}">'

# pydata-sphinx-theme 0.17's layout of display maths: with it, a numbered formula wider
# than the column is cut off on the left (the defect of issue #26).
THEME_CSS = """
div.math { display: flex; flex-direction: row-reverse; overflow: hidden; max-width: 100%; }
div.math mjx-container { flex-grow: 1; overflow: auto; }
.cell_output .output { overflow-x: auto; }
"""
# The good page adds the book's own stylesheet (_static/custom.css) to the theme's rules.
GOOD_CSS = THEME_CSS
BAD_CSS = THEME_CSS + ".clip { overflow: hidden; }"

GOOD = HEAD.format(title="good", css=GOOD_CSS,
                   extra='<link rel="stylesheet" href="_static/custom.css">') + f"""
<div class="bd-content">
<div class="math notranslate nohighlight">\\[{WIDE_TEX}\\]</div>
<div class="cell"><div class="cell_input"><pre>{LONG_LINE}</pre></div>
<div class="cell_output"><div class="output"><pre>{LONG_LINE}</pre></div></div></div>
<div class="pst-scrollable-table-container">{WIDE_TABLE}</div>
<div class="cell"><div class="cell_input"><pre>result = compute()   # glue(...) in a comment is fine</pre></div></div>
<div class="cell"><div class="cell_output"><div class="output">{FIGURE.format(style="width: 700px; --gtp-phone-width: 700px")}</div></div></div>
</div></main></body></html>"""

BAD = HEAD.format(title="bad", css=BAD_CSS,
                  extra='<script src="_static/twin.js"></script>') + f"""
<div class="math notranslate nohighlight">\\[{WIDE_TEX}\\]</div>
<div class="cell"><div class="cell_input clip"><pre>{LONG_LINE}</pre></div></div>
<div class="clip">{WIDE_TABLE}</div>
<div class="cell"><div class="cell_output"><pre>{LONG_LINE}</pre></div></div>
<div class="cell"><div class="cell_input"><pre>y = f(x)
glue("key", y, display=False)
put("other", 2 * y)
assert y &gt; 0, y</pre></div></div>
<div class="gtp-twin" id="twin-bare"><div class="gtp-twin-controls"><div class="gtp-twin-row">
<label for="twin-bare-tau">tau</label><input type="range" id="twin-bare-tau" data-control="tau"
 min="0" max="2" value="0"><output for="twin-bare-tau">1</output></div></div>
<img class="gtp-twin-frame" src="dot.png" alt="a"><p class="gtp-twin-readout">r</p>
<script type="application/json" class="gtp-twin-data">{TWIN_DATA}</script></div>
<img src="heavy.png" alt="a heavy picture" width="10">
<div class="cell"><div class="cell_output"><div class="output">{FIGURE.format(style="width: 100%")}
<img src="dot.png" alt="a figure that does not say" style="width: 100%"></div></div></div>
</main></body></html>"""


# Dark mode as the theme draws it (pydata-sphinx-theme 0.17): a dark page, and HTML outputs
# (a twin is one) on a light panel with dark text.  With the book's twin.css the twin sits
# on the page's background; without its last rule its note is light grey on light grey.
THEME_DARK_CSS = """
body { background-color: #14181e; color: #ced6dd; }
html[data-theme=dark] .bd-content div.cell_output .text_html:not(:has(table.dataframe)) {
  background-color: #ced6dd; color: #222832; padding: .5rem; }
"""
DARK = HEAD.replace("<html>", '<html data-theme="dark">').format(
    title="dark", css=THEME_DARK_CSS, extra='<link rel="stylesheet" href="_static/{twin_css}">') + """
<div class="bd-content"><p>Body text.</p><div class="cell_output"><div class="output text_html">
<div class="gtp-twin" id="twin-d"><p class="gtp-twin-note">Static copy of the panel.</p>
<div class="gtp-twin-values"><span data-value="0">0.1</span></div></div></div></div></div>
</main></body></html>"""


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from PIL import Image
    root = tmp_path_factory.mktemp("reading")
    book_site.copy_mathjax(root)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 114, 178)).save(buf, "PNG")
    (root / "dot.png").write_bytes(buf.getvalue())
    (root / "heavy.png").write_bytes(buf.getvalue() + b"\0" * reading.BUDGET_TWIN)
    from PIL.PngImagePlugin import PngInfo
    info, buf = PngInfo(), io.BytesIO()
    info.add_text(reading.TEXT_KEY, "25.00")
    Image.new("RGB", (1400, 300), (255, 255, 255)).save(buf, "PNG", pnginfo=info)
    (root / "figure.png").write_bytes(buf.getvalue())
    (root / "good.html").write_text(GOOD)
    (root / "bad.html").write_text(BAD)
    (root / "_static").mkdir(exist_ok=True)
    (root / "_static" / "custom.css").write_text((helpers.ROOT / "_static" / "custom.css").read_text())
    twin_css = (helpers.ROOT / "_static" / "twin.css").read_text()
    (root / "_static" / "twin.css").write_text(twin_css)
    (root / "_static" / "twin-old.css").write_text(twin_css[:twin_css.index("/* Dark mode: the theme")])
    (root / "dark.html").write_text(DARK.replace("{twin_css}", "twin.css"))
    (root / "dark-old.html").write_text(DARK.replace("{twin_css}", "twin-old.css"))
    # the twin script, but without the value lists: the defect of a bare slider
    src = (helpers.ROOT / "_static" / "twin.js").read_text()
    (root / "_static" / "twin.js").write_text(
        src.replace('input && input.type === "range" ? valueList', 'false ? valueList'))
    site = helpers.Site(root, root)
    yield site
    site.close()


def measure(browser, site, page, width):
    reading.set_width(browser, width)
    reading.load(browser, site.url(page))
    return reading.measure(browser)


@pytest.mark.parametrize("width", reading.WIDTHS)
def test_scrollable_wide_content_passes(browser, synthetic, width):
    report = measure(browser, synthetic, "good.html", width)
    assert report["problems"] == []
    assert reading.plumbing_lines(report["code"]) == []
    assert reading.weight_problem(report) is None


@pytest.mark.parametrize("width", reading.WIDTHS)
def test_every_reading_defect_is_named(browser, synthetic, width):
    report = measure(browser, synthetic, "bad.html", width)
    text = "\n".join(report["problems"])
    assert "display equation cut off by" in text, text
    assert "code cut off by" in text and "hides its overflow" in text, text
    assert "table cut off by" in text, text
    assert f"output sticks out of the {width}-px screen" in text, text
    assert "the page scrolls sideways" in text, text
    assert reading.plumbing_lines(report["code"]) == [
        'glue("key", y, display=False)', 'put("other", 2 * y)', "assert y > 0, y"]
    values = reading.twin_value_problems(report["twins"])
    assert values == ["twin-bare control 'tau': values not shown on the page: ['1', '5', '25']"]
    problem = reading.weight_problem(report)
    assert problem and problem.startswith("page weight") and "heavy.png" in problem, problem


def test_figure_text_on_a_phone(browser, synthetic):
    """A figure kept wide enough on a phone passes; one shrunk to the screen, and one that
    does not say how small its text is, are named."""
    good = measure(browser, synthetic, "good.html", reading.PHONE)
    assert [f["shown"] for f in good["figures"]] == [700]
    assert reading.figure_text_px(good["figures"][0], synthetic.root) == pytest.approx(12.5)
    assert reading.figure_text_problems(good, synthetic.root) == []
    bad = measure(browser, synthetic, "bad.html", reading.PHONE)
    problems = reading.figure_text_problems(bad, synthetic.root)
    shown = next(f["shown"] for f in bad["figures"] if f["label"] == "a figure")
    assert 300 < shown < 390 and bad["small_print"] > 12.5
    assert problems == ["figure without its text size (gtp:text-px): a",       # the bare twin
                        f"figure text shown at {25 * shown / 1400:.1f} px, under the page's small "
                        f"print (12.5 px), {shown:.0f} px wide: a figure",
                        "figure without its text size (gtp:text-px): a figure that does not say"]


def test_dark_mode_contrast(browser, synthetic):
    """A twin on the theme's light output panel in dark mode: its note and values were
    light grey on light grey; with the book's twin.css every text reads (4.5:1)."""
    reading.set_width(browser, 1280)
    reading.load(browser, synthetic.url("dark.html"))
    assert reading.contrast_problems(browser) == []
    reading.load(browser, synthetic.url("dark-old.html"))
    problems = reading.contrast_problems(browser)
    assert len(problems) == 2 and all("on rgb(206, 214, 221)" in p for p in problems), problems
    assert problems[0].startswith("contrast 1.31:1 < 4.5:1, rgb(187, 187, 187)") and \
        "(p.gtp-twin-note)" in problems[0]
