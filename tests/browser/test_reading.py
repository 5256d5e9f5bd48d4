"""Every page reads cleanly at 1280 px and on a phone (390 px), in a real browser.

For every page of the built book, at both widths: no display equation, code block,
output or table is cut off without a way to scroll to both its ends, the page does not
scroll sideways, no glue/put/assert line is visible, every slider of a static twin shows
the values it offers; on the phone, the smallest text of every figure and twin frame is
shown at least as large as the page's small print (its smallest font, at most 12.5 px:
the figure's PNG or the twin records its text size in pixels); in light and dark mode every text
contrasts with the background behind it by at least 4.5:1 (WCAG AA); and the page (HTML
plus everything it loads, uncompressed) stays within its weight budget.  Each page is
photographed whole at both widths, light and dark, into
``_build/screenshots/pages/`` (``index.html`` there lists them) for a human to look at.
``test_reading_checker.py`` shows that each of these checks fails on a page with the
defect.  Skips without chromium or without a built book, like ``test_pages.py``.
"""
import html
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import helpers  # noqa: E402
import reading  # noqa: E402
from helpers import BUILT, NOT_BUILT, PAGES  # noqa: E402

GALLERY = helpers.SCREENSHOTS / "pages"
# Graded assignments (book/assignments/): their visible `assert feedback.passed` lines are
# the checks a student runs, not build plumbing.
GRADED = "book/assignments/"


def shot_name(page, width, dark):
    return f"{page[:-5].replace('/', '__')}-{width}{'-dark' if dark else ''}.png"


def read_page(browser, page, site):
    """Problems of ``page`` at every width, and its weight; photographs it."""
    GALLERY.mkdir(parents=True, exist_ok=True)
    problems, weight = [], None
    reading.set_width(browser, reading.WIDTHS[0])
    reading.load(browser, site.url(page))
    for width in reading.WIDTHS:
        reading.set_width(browser, width)
        report = reading.measure(browser)
        problems += [f"at {width} px: {p}" for p in report["problems"]]
        problems += [f"at {width} px: {p}" for p in reading.twin_value_problems(report["twins"])]
        if width == reading.PHONE:
            problems += [f"at {width} px: {p}" for p in reading.figure_text_problems(report, site.root)]
        if width == reading.WIDTHS[0] and not page.startswith(GRADED):
            problems += [f"visible build plumbing: {line}"
                         for line in reading.plumbing_lines(report["code"])]
            weight = reading.weight(report)[0]
            w = reading.weight_problem(report)
            if w:
                problems.append(w)
        problems += [f"at {width} px, light: {p}" for p in reading.contrast_problems(browser)]
        reading.screenshot(browser, GALLERY / shot_name(page, width, False))
        reading.set_dark(browser, True)
        problems += [f"at {width} px, dark: {p}" for p in reading.contrast_problems(browser)]
        reading.screenshot(browser, GALLERY / shot_name(page, width, True))
        reading.set_dark(browser, False)
    reading.set_width(browser, 1280, 1000)
    return problems, weight


@pytest.mark.parametrize("page", PAGES or [pytest.param("index.html", marks=pytest.mark.skip(NOT_BUILT))])
def test_page_reads_cleanly(browser, site, page):
    problems, weight = read_page(browser, page, site)
    (GALLERY / (page[:-5].replace("/", "__") + ".weight")).write_text(str(weight))
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


def test_gallery_index():
    """An index of the screenshots, in the toc's order (runs after the pages)."""
    if not BUILT or not GALLERY.exists():
        pytest.skip(NOT_BUILT)
    rows = []
    for page in PAGES:
        stem = page[:-5].replace("/", "__")
        w = GALLERY / f"{stem}.weight"
        size = f"{int(w.read_text()) / 1e6:.2f} MB" if w.exists() and w.read_text() != "None" else "?"
        cells = "".join(f'<td><a href="{n}"><img src="{n}" width="{180 if "390" in n else 300}" '
                        f'alt="{html.escape(page)} {n}"></a></td>'
                        for n in (shot_name(page, 1280, False), shot_name(page, 1280, True),
                                  shot_name(page, 390, False), shot_name(page, 390, True))
                        if (GALLERY / n).exists())
        rows.append(f"<tr><th>{html.escape(page)}<br>{size}</th>{cells}</tr>")
    (GALLERY / "index.html").write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Screenshots</title></head><body>"
        "<table><tr><th>page, weight</th><th>1280 px</th><th>1280 px dark</th>"
        "<th>390 px</th><th>390 px dark</th></tr>" + "".join(rows) + "</table></body></html>")
    assert rows
