"""Figures of the tuning lesson (``book/training/tuning-lesson.md``): validation curves of
the settings a short search and a final-horizon choice compare.  Inputs come from
``gtp.reports.horizon_lesson``; these functions only draw.
"""
import numpy as np
from matplotlib.ticker import MaxNLocator

from ..engine.rules import get_rule
from ..maths import paper
from .figure_style import COLUMN_WIDTH, PALETTE, figure, style

__all__ = ["row_title", "candidates_figure", "protocols_figure", "peaks_figure"]

_CANDIDATE_COLOURS = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion")]
_PROTOCOL_COLOURS = {"v2": PALETTE["orange"], "v3": PALETTE["blue"]}


def row_title(row, rule, sep=", "):
    """``"GTP, MNIST 784-500-500-500-10"``: the rule's label and the paper's row."""
    return f"{get_rule(rule).label}{sep}{paper.TABLE_NAMES[row.table]} {row.net}"


def _ylim(curves, span=4.0):
    """A lower limit that keeps the top ``span`` points of the best curve in view, so the
    differences the text discusses stay visible (a diverged run is named in the legend)."""
    best = max(float(np.max(v)) for v in curves if len(v))
    low = min((float(np.min(v)) for v in curves if len(v) and np.max(v) > best - span), default=best - span)
    return max(np.floor(low), best - 2 * span), np.ceil(best + 0.3)


def candidates_figure(d, title=None):
    """The candidates of one row and rule at the final horizon (``candidate_curves``):
    validation accuracy against the examples seen, the search's horizon marked, each
    curve's best epoch starred; the title names the rule and the row unless ``title`` is given."""
    title = title or row_title(d["row"], d["rule"])
    with style():
        fig, ax = figure(1, 1, height=4.0, width=COLUMN_WIDTH, pyplot=False, layout="constrained")
        curves = [c["val"] for c in d["candidates"]]
        lo, hi = _ylim(curves)
        for c, colour in zip(d["candidates"], _CANDIDATE_COLOURS):
            label = c["label"] + (" (v2's pick)" if c["v2_pick"] else "") + (" ← v3's pick" if c["picked"] else "")
            if c["best_val"] < lo:
                label += f" (best {c['best_val']:.1f} %, below the axis)"
            ax.plot(c["examples"], c["val"], "-o", ms=3, lw=1.6, color=colour, label=label)
            k = c["best_epoch"] - 1
            if 0 <= k < len(c["val"]) and c["val"][k] >= lo:
                ax.plot(c["examples"][k], c["val"][k], "*", ms=12, color=colour, mec="black", mew=0.6, zorder=5)
        ax.axvline(d["horizon"], color="0.35", ls="--", lw=1.2)
        ax.text(d["horizon"], hi, " v2's search ranked here", va="top", ha="left", fontsize=9, color="0.25")
        ax.set_xscale("log")
        _finish(ax, (lo, hi), "training examples seen (log scale)", title,     # legend below the curves
                loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=9, frameon=False)
    return fig


def _finish(ax, ylim, xlabel, title, **legend):
    ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("validation accuracy (%)")
    if title:
        ax.set_title(title)
    ax.legend(**legend)


def protocols_figure(f, title=None):
    """Both protocols' final runs of one row and rule (``final_curves``): validation accuracy
    per epoch, one line per seed, the selected epoch starred."""
    with style():
        fig, ax = figure(1, 1, height=3.2, width=COLUMN_WIDTH, pyplot=False, layout="constrained")
        curves = [r["val"] for runs in f.values() for r in runs]
        lo, hi = _ylim(curves)
        for name, runs in f.items():
            colour = _PROTOCOL_COLOURS[name]
            for i, r in enumerate(runs):
                epochs = np.arange(1, len(r["val"]) + 1)
                seeds = [str(x["seed"]) for x in runs]
                ax.plot(epochs, r["val"], "-", lw=1.4, color=colour,
                        label=f"{name}'s pick (seed{'s' * (len(seeds) > 1)} {', '.join(seeds)})" if i == 0 else None)
                k = r["best_epoch"] - 1
                ax.plot(epochs[k], r["val"][k], "*", ms=11, color=colour, mec="black", mew=0.6, zorder=5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _finish(ax, (lo, hi), "epoch", title, loc="lower right", fontsize=9)
    return fig


def peaks_figure(items):
    """Small multiples, one per ``(title, runs, rule)`` (runs of ``final_curves``, drawn in
    the rule's colour): the validation curves of picks that peak early, each seed's peak
    starred."""
    with style():
        n = len(items)
        fig, axes = figure(1, n, height=2.9, width=COLUMN_WIDTH, pyplot=False, layout="constrained",
                           squeeze=False)
        for ax, (title, runs, rule) in zip(axes[0], items):
            colour = get_rule(rule).colour
            for r in runs:
                epochs = np.arange(1, len(r["val"]) + 1)
                k = int(np.argmax(r["val"]))
                ax.plot(epochs, r["val"], "-", lw=1.3, color=colour)
                ax.plot(epochs[k], r["val"][k], "*", ms=10, color=colour, mec="black", mew=0.6, zorder=5)
            vals = np.concatenate([r["val"] for r in runs])
            ax.set_ylim(np.floor(vals.min()), np.ceil(vals.max() + 0.3))   # the whole fall in view
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(title, fontsize=9)
            ax.set_xlabel("epoch")
        axes[0][0].set_ylabel("validation accuracy (%)")
    return fig
