"""Shared look of every figure: Okabe-Ito colour-blind-safe palette, readable sizes.

Figures are drawn at the book's column width (about 7 inches) with fonts of at
least 10 pt, so that text stays legible in the rendered page.
"""
import io
import threading
from contextlib import contextmanager

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

# Okabe & Ito (2008), safe for the common forms of colour blindness.
PALETTE = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "black": "#000000",
}
CYCLE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple",
                              "yellow", "black")]
COLUMN_WIDTH = 7.0  # inches
#: the smallest colour difference (CIEDE2000) between two learning rules' colours, and
#: under simulated protanopia and deuteranopia (``gtp.engine.rules`` holds the colours;
#: tests/test_rule_colours.py checks every pair)
RULE_COLOUR_MIN_DE = 28.0
RULE_COLOUR_MIN_DE_CVD = 15.0
RC = {
    "axes.prop_cycle": mpl.cycler(color=CYCLE),
    "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11,
    "xtick.labelsize": 10, "ytick.labelsize": 10, "legend.fontsize": 10,
    "figure.dpi": 100, "savefig.dpi": 150, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "image.cmap": "viridis",
}


@contextmanager
def style():
    """Context manager applying the book's rcParams."""
    with mpl.rc_context(RC):
        yield


#: Held while matplotlib creates or renders a figure.  Panels redraw from widget-message
#: threads and training threads; matplotlib is not thread-safe (pyplot's figure list, font
#: and text caches are shared), so no two figures are ever built or drawn at once.
DRAW_LOCK = threading.RLock()


class BookFigure(Figure):
    """A figure of the book.  In a notebook it is shown as a PNG that records the size of
    its smallest text (``TEXT_KEY``), so the built page can be checked, and laid out, for
    a phone (tests/browser/test_reading.py, _ext/figure_images.py)."""


def figure(nrows=1, ncols=1, height=3.2, width=COLUMN_WIDTH, pyplot=True, **kwargs):
    """The book's one figure factory: a new ``(fig, axes)`` pair at column width in the
    book's style.  ``pyplot=True`` registers the figure with pyplot (chapters display it
    inline, then close it); ``pyplot=False`` gives a free-standing ``Figure`` that only
    ``png_bytes`` renders (what live panels redraw).  ``kwargs`` go to ``subplots``;
    ``layout`` (e.g. ``"constrained"``) to the figure."""
    layout = kwargs.pop("layout", None)
    with DRAW_LOCK, style():
        _show_text_size_inline()
        if pyplot:
            fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), layout=layout,
                                     FigureClass=BookFigure, **kwargs)
        else:
            fig = BookFigure(figsize=(width, height), layout=layout)
            axes = fig.subplots(nrows, ncols, **kwargs)
    return fig, axes


def png_bytes(fig, dpi=80):
    """The book's one PNG encoder: ``fig`` rendered to PNG bytes (what panels show in an
    ``ipywidgets.Image``), under ``DRAW_LOCK``, with the size of its smallest text in
    pixels (``TEXT_KEY``).  The figure is released from pyplot first, so no figure is left
    open behind a panel (it stays usable: panels move its artists and encode it again)."""
    buf = io.BytesIO()
    with DRAW_LOCK:
        plt.close(fig)
        fig.savefig(buf, format="png", dpi=dpi)
        px = smallest_text_pt(fig) * dpi / 72
    return with_text_size(buf.getvalue(), px)


# --------------------------------------------------------------------------- text size
#: the PNG text chunk holding a figure's smallest text height (font size) in image pixels
TEXT_KEY = "gtp:text-px"
#: the page's small print on a phone (CSS px): code and outputs at 390 px (0.78 of 16 px,
#: _static/custom.css).  On a phone a figure or twin frame is not shown narrower than the
#: width at which its smallest text is this large (it scrolls sideways instead).
PHONE_TEXT_PX = 12.5


def smallest_text_pt(fig):
    """The font size (points) of the smallest text ``fig`` shows: titles, labels, tick
    labels, legends, annotations of visible axes (``inf`` when it shows none).  Call it on
    a drawn figure: matplotlib makes the tick labels when it draws."""
    from matplotlib.text import Text
    texts = fig.findobj(Text)
    for ax in fig.get_axes():                 # tick labels are not among findobj's children
        texts += ax.xaxis.get_ticklabels(which="both") + ax.yaxis.get_ticklabels(which="both")
    sizes = [t.get_fontsize() for t in texts
             if t.get_visible() and t.get_text().strip() and (t.axes is None or t.axes.get_visible())]
    return min(sizes, default=float("inf"))


def with_text_size(png, px):
    """``png`` (bytes) with a ``TEXT_KEY`` text chunk saying ``px`` (before its IEND)."""
    import struct
    import zlib
    if not np.isfinite(px):
        return png
    body = TEXT_KEY.encode("latin-1") + b"\0" + f"{px:.2f}".encode("ascii")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + \
        struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def text_size(png):
    """The ``TEXT_KEY`` of ``png`` (bytes): its smallest text in image pixels, or None."""
    from PIL import Image
    value = Image.open(io.BytesIO(png)).text.get(TEXT_KEY)
    return None if value is None else float(value)


def _inline_png(fig):
    """The inline backend's PNG of a ``BookFigure`` (1x or retina, as the notebook's
    ``InlineBackend.figure_formats`` says), with its smallest text size in pixels."""
    from IPython.core.pylabtools import print_figure
    from matplotlib_inline.backend_inline import InlineBackend
    cfg = InlineBackend.instance()
    formats = set(cfg.figure_formats)
    retina = bool(formats & {"retina", "png2x"})
    if not retina and "png" not in formats:
        return None
    data = print_figure(fig, "retina" if retina else "png", **cfg.print_figure_kwargs)
    if data is None:
        return None
    data = with_text_size(data, smallest_text_pt(fig) * fig.dpi * (2 if retina else 1) / 72)
    if not retina:
        return data
    from PIL import Image
    w, h = Image.open(io.BytesIO(data)).size
    return data, {"width": w // 2, "height": h // 2}


def _show_text_size_inline():
    """In IPython, show ``BookFigure``s with ``_inline_png`` (once per kernel)."""
    try:
        from IPython import get_ipython
        ip = get_ipython()
    except ImportError:
        return
    if ip is None:
        return
    png = ip.display_formatter.formatters["image/png"]
    if png.type_printers.get(BookFigure) is not _inline_png:
        png.for_type(BookFigure, _inline_png)


def _linear_rgb(colour):
    """``colour`` (a matplotlib colour) as linear-light sRGB, an array of 3 in [0, 1]."""
    rgb = np.asarray(mpl.colors.to_rgb(colour), dtype=float)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


#: Machado, Oliveira & Fernandes (2009), severity 1: linear RGB as seen with protanopia,
#: deuteranopia
CVD = {"protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                               [-0.003882, -0.048116, 1.051998]]),
       "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                                 [-0.011820, 0.042940, 0.968881]])}


def lab(colour, vision=None):
    """CIE L*a*b* (D65) of ``colour``; ``vision`` ("protanopia", "deuteranopia") simulates
    that colour vision first (``CVD``)."""
    rgb = _linear_rgb(colour)
    if vision is not None:
        rgb = np.clip(CVD[vision] @ rgb, 0.0, 1.0)
    xyz = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                    [0.0193339, 0.1191920, 0.9503041]]) @ rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(lab1, lab2):
    """CIEDE2000 colour difference of two L*a*b* colours (Sharma, Wu & Dalal 2005): about
    1 is just noticeable, 2-10 is seen at a glance, over 25 is another colour."""
    (L1, a1, b1), (L2, a2, b2) = lab1, lab2
    c_bar7 = ((np.hypot(a1, b1) + np.hypot(a2, b2)) / 2) ** 7
    g = 0.5 * (1 - np.sqrt(c_bar7 / (c_bar7 + 25.0 ** 7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1 = np.degrees(np.arctan2(b1, a1)) % 360 if c1 else 0.0
    h2 = np.degrees(np.arctan2(b2, a2)) % 360 if c2 else 0.0
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    dH = 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh / 2))
    L, C = (L1 + L2) / 2, (c1 + c2) / 2
    if c1 * c2 == 0:
        h = h1 + h2
    elif abs(h1 - h2) <= 180:
        h = (h1 + h2) / 2
    else:
        h = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (1 - 0.17 * np.cos(np.radians(h - 30)) + 0.24 * np.cos(np.radians(2 * h))
         + 0.32 * np.cos(np.radians(3 * h + 6)) - 0.20 * np.cos(np.radians(4 * h - 63)))
    sl = 1 + 0.015 * (L - 50) ** 2 / np.sqrt(20 + (L - 50) ** 2)
    sc, sh = 1 + 0.045 * C, 1 + 0.015 * C * t
    rt = -np.sin(np.radians(60 * np.exp(-(((h - 275) / 25) ** 2)))) * 2 * np.sqrt(C ** 7 / (C ** 7 + 25.0 ** 7))
    dl, dc, dhh = (L2 - L1) / sl, (c2 - c1) / sc, dH / sh
    return float(np.sqrt(dl ** 2 + dc ** 2 + dhh ** 2 + rt * dc * dhh))


def colour_difference(a, b, vision=None):
    """CIEDE2000 difference of two matplotlib colours, as seen with ``vision`` (None:
    normal colour vision; "protanopia", "deuteranopia")."""
    return delta_e(lab(a, vision), lab(b, vision))
