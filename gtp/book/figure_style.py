"""Shared look of every figure: Okabe-Ito colour-blind-safe palette, readable sizes.

Figures are drawn at the book's column width (about 7 inches) with fonts of at
least 10 pt, so that text stays legible in the rendered page.
"""
import io
import threading
from contextlib import contextmanager

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

# Okabe & Ito (2008), safe for the common forms of colour blindness.
PALETTE = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "black": "#000000",
}
CYCLE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple",
                              "yellow", "black")]
COLUMN_WIDTH = 7.0  # inches
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


def figure(nrows=1, ncols=1, height=3.2, width=COLUMN_WIDTH, pyplot=True, **kwargs):
    """The book's one figure factory: a new ``(fig, axes)`` pair at column width in the
    book's style.  ``pyplot=True`` registers the figure with pyplot (chapters display it
    inline, then close it); ``pyplot=False`` gives a free-standing ``Figure`` that only
    ``png_bytes`` renders (what live panels redraw).  ``kwargs`` go to ``subplots``;
    ``layout`` (e.g. ``"constrained"``) to the figure."""
    layout = kwargs.pop("layout", None)
    with DRAW_LOCK, style():
        if pyplot:
            fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), layout=layout,
                                     **kwargs)
        else:
            fig = Figure(figsize=(width, height), layout=layout)
            axes = fig.subplots(nrows, ncols, **kwargs)
    return fig, axes


def png_bytes(fig, dpi=80):
    """The book's one PNG encoder: ``fig`` rendered to PNG bytes (what panels show in an
    ``ipywidgets.Image``), under ``DRAW_LOCK``.  The figure is released from pyplot first,
    so no figure is left open behind a panel (it stays usable: panels move its artists
    and encode it again)."""
    buf = io.BytesIO()
    with DRAW_LOCK:
        plt.close(fig)
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
