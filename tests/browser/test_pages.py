"""Real-browser test of the built book (``make browser``, part of ``make test``).

Serves ``_build/html`` on 127.0.0.1, opens every page in headless Debian chromium and
checks what a reader would see: internal links, images and anchors resolve, figures are
decoded with a non-zero size and carry alt text, every formula was typeset by MathJax
(served from the site itself, no CDN), every code cell and output of a notebook page is
on the page, the ``.ipynb`` download and the Binder/Colab buttons are there, and the
console shows no JavaScript error.  The only console errors ignored are failures to
reach hosts other than 127.0.0.1 (there is no internet here).  Screenshots of the home
page and of one chapter go to ``_build/screenshots/`` for a human to look at.

Skips with a message when chromium or chromedriver is not installed (Debian packages
``chromium`` and ``chromium-driver``; ``.ci/run`` installs them) or when the book has
not been built (``make book-strict``).
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import helpers  # noqa: E402
from helpers import BUILT, NOT_BUILT, PAGES  # noqa: E402


@pytest.mark.parametrize("page", PAGES or [pytest.param("index.html", marks=pytest.mark.skip(NOT_BUILT))])
def test_page(browser, site, page):
    report, problems = helpers.page_problems(browser, site, page)
    assert not problems, f"{page} ({report['title']}):\n  " + "\n  ".join(problems)


def toc_pages():
    """Pages of the toc entries, in toc order."""
    sys.path.insert(0, str(helpers.ROOT / "scripts"))
    import chapters
    import yaml
    toc = yaml.safe_load((helpers.ROOT / "_toc.yml").read_text())
    return [(f[:-3] if f.endswith(".md") else f) + ".html" for f in chapters.toc_files(toc)]


def test_every_chapter_is_a_page():
    """Every entry of _toc.yml was built into a page."""
    if not BUILT:
        pytest.skip(NOT_BUILT)
    toc = toc_pages()
    missing = [p for p in toc if p not in PAGES]
    assert not missing, f"toc entries without a built page (rebuild the book): {missing}"
    assert "index.html" in PAGES and len(PAGES) > len(toc)


def screenshot_page():
    """The chapter to photograph: the first training chapter, else the first theory
    chapter, else the first notebook chapter (toc order)."""
    toc = toc_pages()
    for part in ("book/training/", "book/theory/", "book/"):
        found = [p for p in toc if p.startswith(part) and helpers.expected_cells(p) is not None]
        if found:
            return found[0]
    return "index.html"


def test_screenshots(browser, site):
    helpers.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    chapter = screenshot_page()
    for name, page in (("home", "index.html"), ("chapter", chapter)):
        helpers.open_page(browser, site, page)
        browser.set_window_size(1280, 1000)
        top = helpers.SCREENSHOTS / f"{name}.png"
        assert browser.save_screenshot(str(top))
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1280, min(int(height), 12000))
        full = helpers.SCREENSHOTS / f"{name}-full.png"
        assert browser.save_screenshot(str(full))
        browser.set_window_size(1280, 1000)
        assert top.stat().st_size > 10_000 and full.stat().st_size > 10_000
    (helpers.SCREENSHOTS / "README.txt").write_text(
        f"home.png, home-full.png: index.html\nchapter.png, chapter-full.png: {chapter}\n")


def _page_text(page):
    import html
    import re
    text = re.sub(r"<[^>]+>", " ", (helpers.HTML / page).read_text(encoding="utf-8"))
    return " ".join(html.unescape(text).replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').split())


def test_every_verdict_page_states_the_same_v3_verdict():
    """Issue #25: the Tables page, the closing chapter, the errata page, the relatives
    comparison and SUMMARY.md give the one verdict sentence computed from the stored v3
    results, and the comparison shows the v3 table of its four networks from the same files."""
    if not BUILT:
        pytest.skip(NOT_BUILT)
    from gtp.reports import verdict_v3 as V
    sentence = V.verdict_sentence(V.plain_verdict(V.v3_data()))
    for page in ("book/training/tables.html", "book/closing.html", "book/reference/errata.html",
                 "book/relatives/comparison.html"):
        assert sentence in _page_text(page), f"{page} does not state the v3 verdict: {sentence}"
    assert sentence in (helpers.ROOT / "results" / "SUMMARY.md").read_text(encoding="utf-8")
    rows = V.relatives_v3_data()
    comparison = _page_text("book/relatives/comparison.html")
    for r in rows:
        if r["gtp"]["state"] == "done":
            assert f"{r['gtp']['mean']:.2f} ± {r['gtp']['std']:.2f}" in comparison
