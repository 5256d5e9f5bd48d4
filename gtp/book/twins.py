"""Static twins of the book's interactive panels: they work in the rendered page, without a
kernel, a server or the network.

A twin is the live panel's figure drawn, when the book is built, for every point of a small
grid of control values (at most two sliders, plus a few precomputed choices), by the SAME
``gtp.book`` functions and PNG encoder the live panel uses.  Each frame is stored in the
smallest *lossless* encoding (WebP lossless, PNG, or palette PNG when the figure has at most
256 colours), so a frame decodes to exactly the pixels the live panel shows.  The frames,
their alt text (the values and the frame's key number) and the readouts go into one
self-contained HTML block; ``_static/twin.js`` (served by the site, no external code) turns
its range inputs and selects into a panel that swaps frames.

A chapter displays a panel with ``with_twin(panel.widget, spec)``: a notebook shows the live
widget (JupyterLab and Colab render the widget view), the HTML build shows the ``text/html``
twin in the same place (``_config.yml`` gives ``text/html`` priority over the widget view
for the html builder).  Frames are drawn only in a book build (``_ext/book_site.py`` sets
``GTP_TWINS=1`` for the kernels it starts, or pass ``twin=True``), so a reader running
the chapter live does not wait for them; the execution cache keeps them between builds.  The
cache is keyed on the chapter's code cells only: after a change in ``gtp/`` that alters a
panel's frames, rebuild with ``make clean`` (or ``jcache notebook -p _build/.jupyter_cache
invalidate book/<chapter>.md`` and touch the chapter).

One spec function per panel (``gtp.book.twin_specs``: ``target_convergence_spec``,
``cosine_spec``, ``initialisation_spec``, ``training_spec``, ``training_grid_spec``,
``sensitivity_spec``, ``relatives_spec``) reads the panel's own labels and defaults and names
the grid; every grid holds the panel's
default values and, where they fit the slider's range, the paper's values.  The training
panel's twins read stored runs (``results/table*/`` and, for its tau x eta grid,
``results/twins/``, written by ``python -m gtp run twins``, see ``gtp.experiments.panel_runs``).
"""
import base64
import html
import io
import itertools
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..maths.paper import ROWS
from .figure_style import PHONE_TEXT_PX, text_size

__all__ = ["Control", "Frame", "TwinSpec", "encode", "decode_pixels", "render", "twin_html",
           "Twin", "with_twin", "static_twin", "building", "site_report", "PAPER_TAUS", "PAPER_ETAS",
           "NOTE", "NOTE_STATIC"]

#: the paper's tau and eta values (Tables 1-3)
PAPER_TAUS = tuple(sorted({float(r.tau) for r in ROWS}, reverse=True))
PAPER_ETAS = tuple(sorted({float(r.eta) for r in ROWS}, reverse=True))
NOTE = ("Static copy of the panel: every frame was drawn when the book was built, with the "
        "panel's own code. The full panel runs live from the launch button (the rocket icon at "
        "the top of the page).")
#: the note of a twin of a static figure (no live panel)
NOTE_STATIC = ("Every frame was drawn when the book was built. In a live notebook (the launch "
               "button, the rocket icon at the top of the page) the code named above draws any "
               "setting.")
#: budgets of the issue: bytes of one page, and of all twins of the site
PAGE_BUDGET, SITE_BUDGET = 3_000_000, 25_000_000
ENV = "GTP_TWINS"


def _close(fig):
    import matplotlib.pyplot as plt
    plt.close(fig)


# --------------------------------------------------------------------------- the spec
@dataclass(frozen=True)
class Control:
    """One control of a twin: a range input over ``values`` (``kind="range"``) or a select
    (``kind="select"``); ``labels`` are the shown texts (default: ``fmt`` of the values)."""
    name: str
    label: str
    values: tuple
    default: object
    kind: str = "range"
    labels: tuple = ()
    fmt: str = "{:g}"

    def __post_init__(self):
        if self.kind not in ("range", "select"):
            raise ValueError(f"Control {self.name!r}: kind must be 'range' or 'select', "
                             f"got {self.kind!r}")
        if not self.values:
            raise ValueError(f"Control {self.name!r}: give at least one value")
        if self.default not in self.values:
            raise ValueError(f"Control {self.name!r}: the default {self.default!r} is not in "
                             f"the grid {self.values!r}; add it (grids hold the panel's defaults)")
        if self.labels and len(self.labels) != len(self.values):
            raise ValueError(f"Control {self.name!r}: {len(self.labels)} labels for "
                             f"{len(self.values)} values")

    def text(self, value):
        """The shown text of ``value``."""
        if self.labels:
            return self.labels[self.values.index(value)]
        return self.fmt.format(value)


@dataclass
class Frame:
    """One drawn frame: ``png`` (the live panel's encoder output) and ``key`` (the frame's key
    number in words, e.g. "converged, final error 2e-09")."""
    png: bytes
    key: str


@dataclass
class TwinSpec:
    """A twin: ``name`` (an HTML id), ``title``, ``controls`` (at most two ranges) and
    ``frame(values) -> Frame`` (``values`` maps control names to values)."""
    name: str
    title: str
    controls: tuple
    frame: object
    note: str = NOTE
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if sum(c.kind == "range" for c in self.controls) > 2:
            raise ValueError(f"twin {self.name!r}: at most two sliders per figure")
        if not re.fullmatch(r"[a-z][a-z0-9-]*", self.name):
            raise ValueError(f"twin name {self.name!r}: use lower-case letters, digits and '-'")

    @property
    def defaults(self):
        return {c.name: c.default for c in self.controls}

    def points(self):
        """Every point of the grid, row-major (the last control varies fastest)."""
        for combo in itertools.product(*(c.values for c in self.controls)):
            yield dict(zip((c.name for c in self.controls), combo))

    def describe(self, values):
        """"tau = 5, steps = 25": the values as the readout and the alt text name them."""
        return ", ".join(f"{c.label} = {c.text(values[c.name])}" for c in self.controls)


# --------------------------------------------------------------------------- encoding
def decode_pixels(data):
    """RGBA pixels (uint8 array) of encoded image bytes (PNG or WebP)."""
    from PIL import Image
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGBA"))


def encode(png):
    """``(mime, bytes)``: the smallest lossless encoding of ``png`` among WebP lossless,
    the PNG itself and, when the image has at most 256 colours, palette PNG.  Lossless, so a
    frame shows exactly the live panel's pixels (a quantised palette would not)."""
    from PIL import Image
    with Image.open(io.BytesIO(png)) as im:
        im = im.convert("RGBA")
    options = [("image/png", png)]
    buf = io.BytesIO()        # method 1: within 1% of the smallest, ten times faster
    im.save(buf, "WEBP", lossless=True, quality=50, method=1, exact=True)
    options.append(("image/webp", buf.getvalue()))
    if im.getcolors(256) is not None:
        buf = io.BytesIO()
        im.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(buf, "PNG", optimize=True)
        if np.array_equal(decode_pixels(buf.getvalue()), np.asarray(im)):
            options.append(("image/png", buf.getvalue()))
    return min(options, key=lambda o: len(o[1]))


def render(spec):
    """Draw every frame of ``spec``: a dict with ``frames`` (per grid point: ``src`` data
    URI, ``alt`` and ``readout``), ``default`` (index of the default frame), ``bytes``
    (encoded image bytes) and ``seconds`` (time to draw them)."""
    t0 = time.perf_counter()
    points = list(spec.points())
    default = points.index(spec.defaults)
    frames, total, text = [None] * len(points), 0, []
    # The default first: a panel draws its figure afresh at its defaults, then moves it.
    for k in [default] + [k for k in range(len(points)) if k != default]:
        values = points[k]
        fr = spec.frame(values)
        text.append(text_size(fr.png))
        mime, data = encode(fr.png)
        total += len(data)
        described = spec.describe(values)
        frames[k] = {"src": f"data:{mime};base64," + base64.b64encode(data).decode("ascii"),
                     "alt": f"{spec.title}: {described}; {fr.key}.",
                     "readout": f"{described}: {fr.key}"}
    sizes = [t for t in text if t is not None]
    width = decode_pixels(base64.b64decode(frames[default]["src"].split(",", 1)[1])).shape[1]
    return {"frames": frames, "default": default, "bytes": total,
            "seconds": time.perf_counter() - t0, "text_px": min(sizes) if sizes else None,
            "width": width}


def phone_width(width, text_px, small_print=PHONE_TEXT_PX):
    """The narrowest width (CSS px) at which an image ``width`` pixels wide, whose smallest
    text is ``text_px`` pixels high, shows that text at ``small_print`` px or more."""
    return int(np.ceil(width * small_print / text_px))


def twin_html(spec, rendered=None):
    """The twin of ``spec`` as one self-contained HTML block (needs ``_static/twin.js``)."""
    r = rendered or render(spec)
    first = r["frames"][r["default"]]
    idx = {c.name: c.values.index(c.default) for c in spec.controls}
    rows = []
    for c in spec.controls:
        cid = f"twin-{spec.name}-{c.name}"
        if c.kind == "range":
            rows.append(
                f'<div class="gtp-twin-row"><label for="{cid}">{html.escape(c.label)}</label>'
                f'<input type="range" id="{cid}" data-control="{html.escape(c.name)}" min="0" '
                f'max="{len(c.values) - 1}" step="1" value="{idx[c.name]}" '
                f'aria-valuetext="{html.escape(c.text(c.default))}">'
                f'<output for="{cid}">{html.escape(c.text(c.default))}</output></div>')
        else:
            opts = "".join(f'<option value="{k}"{" selected" if k == idx[c.name] else ""}>'
                           f'{html.escape(c.text(v))}</option>' for k, v in enumerate(c.values))
            rows.append(f'<div class="gtp-twin-row"><label for="{cid}">{html.escape(c.label)}'
                        f'</label><select id="{cid}" data-control="{html.escape(c.name)}">'
                        f'{opts}</select></div>')
    data = {"name": spec.name,
            "controls": [{"name": c.name, "label": c.label,
                          "texts": [c.text(v) for v in c.values]} for c in spec.controls],
            "frames": r["frames"]}
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    # on a phone the frame keeps the width at which its smallest text is small print, and
    # scrolls sideways (_static/twin.css); tests/browser/test_reading.py measures it
    scroll = "" if not r.get("text_px") else \
        (f' data-text-px="{r["text_px"]:.2f}" data-width="{r["width"]}" '
         f'style="--gtp-phone-width: {phone_width(r["width"], r["text_px"])}px"')
    return (f'<div class="gtp-twin" id="twin-{spec.name}" data-frames="{len(r["frames"])}" '
            f'data-bytes="{r["bytes"]}" data-seconds="{r["seconds"]:.2f}">'
            f'<p class="gtp-twin-note">{html.escape(spec.note)}</p>'
            f'<div class="gtp-twin-controls">{"".join(rows)}</div>'
            f'<div class="gtp-twin-scroll"{scroll}>'
            f'<img class="gtp-twin-frame" src="{first["src"]}" alt="{html.escape(first["alt"])}">'
            f'</div>'
            f'<p class="gtp-twin-readout" aria-live="polite">{html.escape(first["readout"])}</p>'
            f'<script type="application/json" class="gtp-twin-data">{payload}</script></div>')


# --------------------------------------------------------------------------- display
def building():
    """True inside a book build (``_ext/book_site.py`` sets ``GTP_TWINS=1``)."""
    return os.environ.get(ENV, "") not in ("", "0")


class Twin:
    """A live widget and its static twin in one display: ``_repr_mimebundle_`` is the
    widget's bundle plus the twin's ``text/html`` (drawn once, on first display)."""

    def __init__(self, widget, spec, twin=None):
        self.widget, self.spec = widget, spec
        self.twin = building() if twin is None else twin
        self._html = None

    @property
    def html(self):
        if self._html is None:
            self._html = twin_html(self.spec)
        return self._html

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.widget is None:        # a twin of a static figure: nothing live to show
            data, meta = {"text/plain": f"[{self.spec.title}: an explorer on the book's web "
                                        f"page]"}, {}
        else:
            bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
            data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})
            data = dict(data or {})
        if self.twin:
            data["text/html"] = self.html
        return data, meta


def with_twin(widget, spec, twin=None):
    """Display ``widget`` (live) with the static twin of ``spec`` (rendered pages)."""
    return Twin(widget, spec, twin)


def static_twin(spec, twin=None):
    """A twin without a live panel (e.g. choosing a cell of a static map)."""
    return Twin(None, spec, twin)


# --------------------------------------------------------------------------- the build
TWIN_TAG = re.compile(r'<div class="gtp-twin" id="twin-([a-z0-9-]+)" data-frames="(\d+)" '
                      r'data-bytes="(\d+)" data-seconds="([\d.]+)"')


def site_report(outdir):
    """Sizes of the built files that hold twins: ``(lines, problems)``, the lines printed by
    the build and the problems the budgets find (3 MB a page; 25 MB for every file holding a
    twin, the pages and their ``.ipynb`` downloads)."""
    lines, problems, total = [], [], 0
    for path in sorted(Path(outdir).rglob("*")):
        if path.suffix not in (".html", ".ipynb") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "gtp-twin-data" not in text:
            continue
        size = path.stat().st_size
        total += size
        rel = path.relative_to(outdir)
        if path.suffix == ".ipynb":
            lines.append(f"twins: {rel}: {size / 1e6:.2f} MB (download with outputs)")
            continue
        parts = "; ".join(f"{n}: {f} frames, {int(b) / 1e6:.2f} MB of images, {float(s):.1f} s"
                          for n, f, b, s in TWIN_TAG.findall(text))
        lines.append(f"twins: {rel}: page {size / 1e6:.2f} MB ({parts})")
        if size > PAGE_BUDGET:
            problems.append(f"{rel} is {size / 1e6:.2f} MB with its twins, over the "
                            f"{PAGE_BUDGET / 1e6:.0f} MB budget: use fewer grid values")
    seconds = sum(float(m[3]) for p in Path(outdir).rglob("*.html")
                  for m in TWIN_TAG.findall(p.read_text(encoding="utf-8", errors="replace")))
    lines.append(f"twins: files holding twins total {total / 1e6:.2f} MB (budget "
                 f"{SITE_BUDGET / 1e6:.0f} MB); drawing the frames took {seconds:.0f} s "
                 f"(cached by the execution cache)")
    if total > SITE_BUDGET:
        problems.append(f"files holding twins total {total / 1e6:.2f} MB, over the "
                        f"{SITE_BUDGET / 1e6:.0f} MB budget")
    return lines, problems
