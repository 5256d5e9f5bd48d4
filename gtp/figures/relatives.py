"""Figures of the part "GTP among its relatives": a run's learning curves beside the angle
between each layer's update and backprop's (the live panel ``gtp.widgets.relatives`` and its
static twin), and the per-layer angles of every rule over training.

Inputs are the ``"epochs"`` entries of ``gtp.train.train`` records (their ``"angle"``: one
angle in degrees per weight matrix, recorded on the probe batch) and the curves of
``gtp.relatives_runs.curves``; labels and colours come from the rule registry.  Figures are
free-standing ``matplotlib.figure.Figure`` objects (drawable from a panel's worker thread);
these functions only draw.
"""
import numpy as np

from ..learning_rules import get_rule
from .style import COLUMN_WIDTH, PALETTE, figure, style
from .training import _draw_metric, _epoch_x

__all__ = ["run_figure", "angle_overview", "LAYER_COLOURS"]

#: one colour per weight matrix W_0, W_1, ... (not those of the accuracy curves beside
#: them; the rule colours are the registry's)
LAYER_COLOURS = tuple(PALETTE[c] for c in ("green", "purple", "vermillion", "black", "yellow"))


def _draw_angles(ax, epochs):
    L = max((len(e.get("angle") or []) for e in epochs), default=0)
    for l in range(L):
        xs, ys = [], []
        for e in epochs:
            a = e.get("angle")
            if a and a[l] is not None:
                xs.append(_epoch_x(e, epochs))
                ys.append(a[l])
        if xs:
            ax.plot(xs, ys, "-o", ms=4, color=LAYER_COLOURS[l % len(LAYER_COLOURS)],
                    label=f"$W_{{{l}}}$" + (" (output: 0)" if l == L - 1 else ""))
    ax.axhline(90, color="0.5", lw=0.8, ls="--")
    ax.set_ylim(-5, 185)
    ax.set_yticks([0, 45, 90, 135, 180])
    ax.set_xlabel("epoch")
    ax.set_ylabel("angle to backprop (degrees)")


def run_figure(epochs, title=None):
    """The relatives panel's figure for one run's entries (``record["epochs"]``): accuracy
    (training subset, running, validation) and, per weight matrix, the angle between the
    rule's update and backprop's on the probe batch (below the dashed 90 degrees the update
    still descends the cost)."""
    with style():
        fig, axes = figure(1, 2, height=3.6, width=COLUMN_WIDTH, pyplot=False)
        fig.subplots_adjust(left=0.09, right=0.98, bottom=0.3, top=0.82 if title else 0.9,
                            wspace=0.32)
        _draw_metric(axes[0], epochs, "acc")
        axes[0].set_title("accuracy", fontsize=11)
        axes[0].set_ylim(0, 100)
        _draw_angles(axes[1], epochs)
        axes[1].set_title("angle to backprop, per layer", fontsize=11)
        h0, l0 = axes[0].get_legend_handles_labels()
        h1, l1 = axes[1].get_legend_handles_labels()
        fig.legend(h0 + h1, l0 + l1, loc="lower center", ncol=3, fontsize=9, frameon=False)
        if title:
            fig.suptitle(title, fontsize=11)
    return fig


def angle_overview(runs, layers=None, title=None):
    """Angle to backprop over training, one panel per weight matrix (``layers``, default
    every hidden one: W_0..W_{L-2}), one line per rule.  ``runs`` maps a rule name to
    ``gtp.relatives_runs.curves`` of its run (``"epoch"``, ``"angle"`` (epochs, L))."""
    L = max(np.shape(c["angle"])[1] for c in runs.values())
    layers = tuple(range(L - 1)) if layers is None else tuple(layers)
    with style():
        fig, axes = figure(1, len(layers), height=3.4, width=COLUMN_WIDTH, pyplot=True,
                           squeeze=False, layout="constrained")
        for ax, l in zip(axes[0], layers):
            for rule, c in runs.items():
                r = get_rule(rule)
                ax.plot(c["epoch"], np.asarray(c["angle"])[:, l], "-o", ms=4, color=r.colour,
                        label=r.label, zorder=1.5 if r.baseline else 2)   # baseline beneath
            ax.axhline(90, color="0.5", lw=0.8, ls="--")
            ax.set_ylim(-5, 185)
            ax.set_yticks([0, 45, 90, 135, 180])
            ax.set_title(f"$W_{{{l}}}$ (into hidden layer {l + 1})", fontsize=11)
            ax.set_xlabel("epoch")
        axes[0][0].set_ylabel("angle to backprop (degrees)")
        h, lab = axes[0][0].get_legend_handles_labels()
        fig.legend(h, lab, loc="outside lower center", ncol=3, fontsize=9, frameon=False)
        if title:
            fig.suptitle(title, fontsize=11)
    return fig
