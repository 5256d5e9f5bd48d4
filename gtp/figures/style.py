"""Shared look of every figure: Okabe-Ito colour-blind-safe palette, readable sizes.

Figures are drawn at the book's column width (about 7 inches) with fonts of at
least 10 pt, so that text stays legible in the rendered page.
"""
from contextlib import contextmanager

import matplotlib as mpl
import matplotlib.pyplot as plt

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


def figure(nrows=1, ncols=1, height=3.2, **kwargs):
    """A new ``(fig, axes)`` pair at column width in the book's style (not pyplot-managed
    beyond creation, so it can be closed and re-drawn by widgets)."""
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(COLUMN_WIDTH, height), **kwargs)
    return fig, axes
