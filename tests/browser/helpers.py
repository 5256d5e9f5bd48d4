"""Helpers of the real-browser test: a local web server for ``_build/html``, a headless
Debian chromium driven by chromedriver (selenium), and what a page is expected to show.

Nothing here reaches the internet: the server listens on 127.0.0.1 only, and chromium
runs with networking extras (sync, component updates, background requests) switched off.
"""
import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import tempfile
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The build folder: _build, or GTP_BOOK_BUILD for a book built with --path-output.
BUILD = Path(os.environ.get("GTP_BOOK_BUILD", ROOT / "_build"))
HTML = BUILD / "html"
EXECUTED = BUILD / "jupyter_execute"
SCREENSHOTS = BUILD / "screenshots"

CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "chromedriver")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                  "--window-size=1280,1000", "--hide-scrollbars",
                  # Every host but 127.0.0.1 fails at once (no DNS wait, no traffic out).
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
# A figure drawn at the column width (7 in, fonts >= 10 pt) is shown at about its own
# size in the 1280-px window; shrunk below this fraction, its fonts drop under ~8 px.
MIN_SCALE = 0.6
# Cells hidden from the page by these tags (myst-nb).
REMOVED_CELL, REMOVED_INPUT, REMOVED_OUTPUT = "remove-cell", "remove-input", "remove-output"


def find_browser():
    """``(chromium, chromedriver)`` paths, or ``None`` when either is missing."""
    def first(names):
        for n in names:
            p = shutil.which(n) if "/" not in n else (n if Path(n).exists() else None)
            if p:
                return p
        return None
    chromium, driver = first(CHROMIUM), first(CHROMEDRIVER)
    return (chromium, driver) if chromium and driver else None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Site:
    """``_build/html`` served over HTTP on 127.0.0.1 from a background thread."""

    def __init__(self, root=HTML, executed=EXECUTED):
        self.executed = Path(executed)       # executed notebooks, to know what cells show
        self.root = Path(root)               # the files served
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self._status = {}
        self._ids = {}

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def url(self, path):
        return self.base + str(path)

    def is_internal(self, url):
        return url.startswith(self.base)

    def fetch(self, url):
        """``(status, body)`` of an internal address (no fragment)."""
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, b""

    def status(self, url):
        url = url.split("#", 1)[0]
        if url not in self._status:
            self._status[url] = self.fetch(url)[0]
        return self._status[url]

    def anchors(self, url):
        """Every ``id``/``name`` attribute of the HTML page at ``url``."""
        url = url.split("#", 1)[0]
        if url not in self._ids:
            status, body = self.fetch(url)
            parser = _IdParser()
            if status == 200:
                parser.feed(body.decode("utf-8", "replace"))
            self._ids[url] = parser.ids
        return self._ids[url]


class _IdParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("id", "name") and v:
                self.ids.add(v)


def make_driver(chromium, chromedriver, profile_dir):
    """A headless chromium with a fresh profile that records the console."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile_dir}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    return driver


def pages(root=HTML):
    """Every HTML page of the built site (relative paths), skipping Sphinx's asset folders."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.html")
                  if not any(part.startswith("_") for part in p.relative_to(root).parts))


def expected_cells(page, executed=EXECUTED):
    """For a notebook page, what its code cells should show, from the executed notebook:
    a list (in page order) of ``(has_input, has_output, source_start)``; ``None`` for a
    page that is not a notebook."""
    nb_path = Path(executed) / Path(page).with_suffix(".ipynb")
    if not nb_path.exists():
        return None
    nb = json.loads(nb_path.read_text())
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        tags = set(cell.get("metadata", {}).get("tags", []))
        if REMOVED_CELL in tags:
            continue
        source = "".join(cell["source"])
        visible = [o for o in cell.get("outputs", []) if _visible_output(o)]
        out.append((REMOVED_INPUT not in tags,
                    bool(visible) and REMOVED_OUTPUT not in tags,
                    _first_code_line(source)))
    return out


def _visible_output(output):
    """True for an output that the page renders (glue's hidden values are not shown)."""
    if output.get("output_type") in ("stream", "error"):
        return True
    meta = output.get("metadata", {})
    if "scrapbook" in meta:                       # myst_nb.glue(..., display=False)
        return False
    return bool(output.get("data"))


def _first_code_line(source):
    for line in source.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "%")):
            return line
    return ""


# Console messages about a resource on another host (no internet in the test) are the
# only ones ignored: e.g. "https://unpkg.com/... - Failed to load resource:
# net::ERR_NAME_NOT_RESOLVED".  Anything else at level SEVERE fails the test.
EXTERNAL_FAILURE = re.compile(r"^(https?:)?//(?!127\.0\.0\.1[:/])[^\s]+ .*"
                              r"(Failed to load resource|net::ERR_)")


def console_errors(entries):
    """SEVERE console entries, less failures to reach external hosts."""
    return [e["message"] for e in entries
            if e.get("level") == "SEVERE" and not EXTERNAL_FAILURE.search(e["message"])]


# Runs in the page: waits for images and MathJax, then reports what is on the page.
INSPECT = r"""
const done = arguments[arguments.length - 1];
(async () => {
  document.querySelectorAll('img[loading="lazy"]').forEach(i => { i.loading = 'eager'; });
  await Promise.all([...document.images].map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  let mathjax = null;
  // MathJax's script loads asynchronously: on a busy machine it may not have started
  // yet when the page's load event fires, so give it up to 20 s on pages with math.
  const started = () => window.MathJax && MathJax.startup && MathJax.startup.promise;
  const t0 = Date.now();
  while (document.querySelector('.math') && !started() && Date.now() - t0 < 20000) {
    await new Promise(r => setTimeout(r, 100));
  }
  if (started()) {
    await MathJax.startup.promise;
    mathjax = MathJax.version;
  }
  const math = [...document.querySelectorAll('.math')];
  const links = [];
  for (const [sel, attr] of [['a[href]', 'href'], ['img[src]', 'src'], ['link[href]', 'href'],
                             ['script[src]', 'src'], ['source[src]', 'src']]) {
    document.querySelectorAll(sel).forEach(e => links.push(e[attr]));
  }
  const cells = [...document.querySelectorAll('div.cell')].map(c => {
    const inp = c.querySelector('.cell_input'), out = c.querySelector('.cell_output');
    return {
      input: inp ? inp.textContent : null,
      output: out ? (out.textContent.trim().length > 0 ||
                     out.querySelector('img, svg, table, script[type*="widget"]') !== null) : false,
      images: [...c.querySelectorAll('.cell_output img')].map(i => i.src),
      figure_as_text: out ? [...out.querySelectorAll('pre')].some(
          p => /^<Figure size [\d.]+x[\d.]+ with \d+ Axes>$/.test(p.textContent.trim())) : false,
      empty_figure: out ? [...out.querySelectorAll('figure')].some(
          f => !f.querySelector('img, svg, script[type*="widget"]')) : false,
    };
  });
  const button = text => [...document.querySelectorAll('a')].find(a => a.textContent.trim() === text);
  done({
    title: document.title,
    mathjax: mathjax,
    math: math.length,
    math_typeset: math.filter(m => m.querySelector('mjx-container')).length,
    math_errors: document.querySelectorAll('mjx-merror').length,
    math_source: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 60)),
    images: [...document.images].map(i => ({src: i.src, alt: (i.getAttribute('alt') || '').trim(),
                                           width: i.naturalWidth, complete: i.complete,
                                           // the size it is drawn for: its CSS width (a 2x figure
                                           // carries it), else its pixels
                                           intended: parseFloat(i.style.width) || parseFloat(i.getAttribute('width')) || i.naturalWidth,
                                           shown: i.getBoundingClientRect().width,
                                           figure: i.closest('.cell_output') !== null})),
    links: links,
    cells: cells,
    binder: (button('Binder') || {}).href || null,
    colab: (button('Colab') || {}).href || null,
    ipynb: [...document.querySelectorAll('a[href$=".ipynb"]')].map(a => a.href),
  });
})().catch(e => done({error: String(e) + '\n' + e.stack}));
"""


def open_page(driver, site, page):
    """Load ``page``; return ``(report, console errors)``."""
    driver.get_log("browser")                       # forget the previous page's messages
    driver.get(site.url(page))
    report = driver.execute_async_script(INSPECT)
    if "error" in report:
        raise RuntimeError(f"{page}: inspecting the page failed: {report['error']}")
    return report, console_errors(driver.get_log("browser"))


def broken_links(site, page, links):
    """Internal addresses of the page that do not resolve (status or missing anchor)."""
    bad = []
    for url in sorted(set(links)):
        if not site.is_internal(url):
            continue
        status = site.status(url)
        if status != 200:
            bad.append(f"{url[len(site.base):]} (HTTP {status})")
            continue
        frag = unquote(urlsplit(url).fragment)
        if frag and urlsplit(url).path.endswith(".html") and frag not in site.anchors(url):
            bad.append(f"{url[len(site.base):]} (no element with id {frag!r})")
    return bad


def check_cells(page, cells, executed=EXECUTED):
    """Compare the page's code cells with the executed notebook; return the problems."""
    expected = expected_cells(page, executed)
    if expected is None:
        return []
    if len(cells) != len(expected):
        return [f"{len(cells)} code cells on the page, the notebook has {len(expected)} visible"]
    problems = []
    for k, (cell, (has_input, has_output, first_line)) in enumerate(zip(cells, expected)):
        if has_input and (cell["input"] is None or first_line not in cell["input"]):
            problems.append(f"cell {k}: source missing (expected a line {first_line!r})")
        if has_output and not cell["output"]:
            problems.append(f"cell {k}: the notebook has an output, the page shows none")
        shown = [src.rsplit("/", 1)[-1] for src in cell["images"]]
        twice = sorted({src for src in shown if shown.count(src) > 1})
        if twice:
            problems.append(f"cell {k}: the same figure is shown twice ({', '.join(twice)}); "
                            f"make the figure the cell's output once (e.g. plt.close(fig) "
                            f"after creating it, then end the cell with `fig`)")
    return problems


def page_problems(driver, site, page):
    """Open ``page`` and list, in words, everything wrong with it (empty when fine)."""
    report, errors = open_page(driver, site, page)
    problems = [f"broken link: {b}" for b in broken_links(site, page, report["links"])]
    for img in report["images"]:
        name = img["src"].rsplit("/", 1)[-1][:60]
        if not img["complete"] or img["width"] == 0:
            problems.append(f"image not decoded: {name}")
        if not img["alt"]:
            problems.append(f"image without alt text: {name}")
        if img["figure"] and img["width"] and img["shown"] < MIN_SCALE * img["intended"]:
            problems.append(f"figure {name} is shrunk to {img['shown'] / img['intended']:.0%} of its "
                            f"size to fit the column: its text gets too small to read (draw it "
                            f"at the book's column width, gtp.book.figure_style.COLUMN_WIDTH)")
    if report["math"]:
        if not (report["mathjax"] or "").startswith("3."):
            problems.append(f"MathJax 3 did not load (version {report['mathjax']!r}), "
                            f"{report['math']} formulas left as TeX")
        elif report["math_typeset"] != report["math"]:
            problems.append(f"{report['math'] - report['math_typeset']} of {report['math']} "
                            f"formulas not typeset, e.g. {report['math_source'][:3]}")
        if report["math_errors"]:
            problems.append(f"{report['math_errors']} formulas with TeX errors (mjx-merror)")
    problems += check_cells(page, report["cells"], site.executed)
    for k, cell in enumerate(report["cells"]):
        if cell["figure_as_text"]:
            problems.append(f"cell {k}: a matplotlib figure is printed as text (<Figure size ...>) "
                            f"instead of drawn: the kernel had no inline image formatter (a "
                            f"figure made with matplotlib.figure.Figure before pyplot was "
                            f"imported); run `%matplotlib inline` in the chapter's first cell")
        elif cell["empty_figure"]:
            problems.append(f"cell {k}: a captioned figure without an image")
    if expected_cells(page, site.executed) is not None:
        problems += check_launch_and_download(site, page, report)
    problems += [f"console error: {e}" for e in errors]
    return report, problems


def check_launch_and_download(site, page, report):
    """A notebook page offers its .ipynb, and Binder/Colab buttons that can work."""
    stem = str(Path(page).with_suffix(""))
    problems = []
    if not any(u.endswith(f"_sources/{stem}.ipynb") for u in report["ipynb"]):
        problems.append("no .ipynb download link")
    # Binder opens the student edition, copied from the published site by nbgitpuller
    binder = unquote(unquote(report["binder"] or ""))
    if "git-pull?" not in binder or not binder.endswith(f"lab/tree/gtp-book/_colab/{stem}.ipynb"):
        problems.append(f"Binder button missing or not opening the student edition _colab/{stem}.ipynb: "
                        f"{report['binder']}")
    if not report["colab"] or not report["colab"].endswith(f"/_colab/{stem}.ipynb"):
        problems.append(f"Colab button missing or not opening _colab/{stem}.ipynb: {report['colab']}")
    else:
        status, body = site.fetch(site.url(f"_colab/{stem}.ipynb"))
        nb = json.loads(body) if status == 200 else {"cells": []}
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        if not code or "colab-setup" not in code[0].get("metadata", {}).get("tags", []):
            problems.append(f"_colab/{stem}.ipynb (HTTP {status}) does not start with the set-up cell")
    return problems


def profile_dir():
    return tempfile.mkdtemp(prefix="gtp-chromium-")


@contextlib.contextmanager
def browser_or_skip():
    """A headless Chromium driver in a fresh profile (removed afterwards), or a skip that
    says how to install the browser."""
    found = find_browser()
    if found is None:
        pytest.skip("no browser: install Debian's `chromium` and `chromium-driver` "
                    "(apt-get install chromium chromium-driver; .ci/run does it as root)")
    profile = profile_dir()
    driver = make_driver(*found, profile)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


#: the built site's pages, shared by the browser tests (empty, and the tests skip, when the book
#: is not built)
BUILT = (HTML / "index.html").exists()
PAGES = pages() if BUILT else []
NOT_BUILT = "the book is not built: run `make book-strict` (or `make test`) first"
