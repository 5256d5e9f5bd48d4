"""Figures of the part "GTP among its relatives": a run's learning curves beside the angle
between each layer's update and backprop's (the live panel ``gtp.book.panels_relatives`` and its
static twin), and the per-layer angles of every rule over training.

Inputs are the ``"epochs"`` entries of ``gtp.engine.training.train`` records (their ``"angle"``: one
angle in degrees per weight matrix, recorded on the probe batch) and the curves of
``gtp.experiments.relatives_angles.curves``; labels and colours come from the rule registry.  Figures are
free-standing ``matplotlib.figure.Figure`` objects (drawable from a panel's worker thread);
these functions only draw.  The equal-budget comparison (``accuracy_comparison``,
``angle_comparison``) draws what ``gtp.reports.relatives_report`` reads from the protocol's runs.
"""
import numpy as np

from ..engine.rules import get_rule
from .figure_style import COLUMN_WIDTH, PALETTE, figure, style
from .figures_training import _draw_metric, _draw_per_layer

__all__ = ["run_figure", "angle_overview", "accuracy_comparison", "angle_comparison",
           "LAYER_COLOURS"]

#: one colour per weight matrix W_0, W_1, ... (not those of the accuracy curves beside
#: them; the rule colours are the registry's)
LAYER_COLOURS = tuple(PALETTE[c] for c in ("green", "purple", "vermillion", "black", "yellow"))


def _draw_angles(ax, epochs):
    _draw_per_layer(ax, epochs, "angle", LAYER_COLOURS, "output: 0")
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
    ``gtp.experiments.relatives_angles.curves`` of its run (``"epoch"``, ``"angle"`` (epochs, L))."""
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
        _legend_on_top(fig, h, lab, ncol=3)
        if title:
            fig.suptitle(title, fontsize=11)
    return fig


def _legend_on_top(fig, handles, labels, ncol):
    """The figure's legend above its first row of panels, where a reader meets it first
    (under it, a tall figure's legend is a screen or more below the first row)."""
    fig.legend(handles, labels, loc="outside upper center", ncol=ncol, fontsize=9,
               frameon=False)


def _row_title(dataset, net):
    from ..data.registry import DATASETS
    ds = DATASETS.get(dataset)
    return f"{ds.title if ds else dataset} {net}"


def accuracy_comparison(summary, title=None, span=6.0):
    """Test accuracy at the epoch selected on validation, one panel per row of
    ``gtp.reports.relatives_report.relatives_summary`` (``summary``) with a finished run, one line
    per rule: every seed as a dot, the mean with the seeds' standard deviation as a bar; the
    paper's GTP accuracy for the row as a dashed line.  The scale spans ``span`` points
    below the best seed; a rule whose mean lies below that is written at the left edge
    with its mean ("off scale"), so chance-level rules do not squash the others."""
    rows = [d for d in summary if any(m["seeds"] for m in d["rules"].values())]
    n = max(len(rows), 1)
    ncols = 1 if n == 1 else 2
    nrows = (n + ncols - 1) // ncols
    with style():
        fig, axes = figure(nrows, ncols, height=2.7 * nrows + 0.4, width=COLUMN_WIDTH,
                           pyplot=True, squeeze=False, layout="constrained")
        flat = [ax for row in axes for ax in row]
        for ax in flat[len(rows):]:
            ax.set_visible(False)
        for ax, d in zip(flat, rows):
            names = list(d["rules"])
            best = max(100 * a for m in d["rules"].values() for a in m["test_at_best"])
            lo, hi = best - span, max(best, 100 * d["paper"]) + 0.08 * span
            for y, rule in enumerate(names):
                m, r = d["rules"][rule], get_rule(rule)
                acc = [100 * a for a in m["test_at_best"]]
                if not acc:
                    ax.text(lo + 0.02 * span, y, "not run yet", va="center", fontsize=9,
                            color="0.4")
                    continue
                mean, std = 100 * m["mean"], 100 * (m["std"] or 0.0)
                if mean < lo:
                    ax.text(lo + 0.02 * span, y, f"{mean:.1f}%, off scale", va="center",
                            fontsize=9, color=r.colour)
                    continue
                ax.errorbar(mean, y, xerr=std, fmt="D", ms=5, color=r.colour, capsize=3, lw=1.2)
                ax.plot(acc, np.full(len(acc), y) + np.linspace(-0.18, 0.18, len(acc)), "o",
                        ms=3.5, color=r.colour, alpha=0.7)
            ax.axvline(100 * d["paper"], color="0.4", lw=0.9, ls="--", label="paper (GTP)")
            ax.set_xlim(lo, hi)
            ax.set_ylim(len(names) - 0.5, -0.5)
            ax.set_yticks(range(len(names)))
            ax.set_yticklabels([get_rule(r).short for r in names], fontsize=9)
            ax.set_title(_row_title(d["dataset"], d["net"]), fontsize=10)
            ax.grid(axis="y", visible=False)
            ax.set_xlabel("test accuracy (%)", fontsize=9)
        if rows:
            h, lab = flat[0].get_legend_handles_labels()
            _legend_on_top(fig, h, lab, ncol=1)
        if title:
            fig.suptitle(title, fontsize=11)
    return fig


def angle_comparison(curves, title=None):
    """Angle to backprop over the 20 epochs of the final runs, mean over the seeds (line)
    and the range of the seeds (band): one row of panels per network, one panel per hidden
    weight matrix, one line per rule.  ``curves``: ``{(dataset, net): {rule:
    gtp.reports.relatives_report.mean_angle_curves(...) or None}}``."""
    nets = [(k, v) for k, v in curves.items() if any(c is not None for c in v.values())]
    H = max((c["angle"].shape[1] - 1 for _, v in nets for c in v.values() if c is not None),
            default=1)
    with style():
        fig, axes = figure(max(len(nets), 1), H, height=2.2 * max(len(nets), 1) + 0.8,
                           width=COLUMN_WIDTH, pyplot=True, squeeze=False, layout="constrained")
        titled = set()
        depth = [max(c["angle"].shape[1] - 1 for c in rules.values() if c is not None)
                 for _, rules in nets]                       # hidden matrices per network
        for i, ((dataset, net), rules) in enumerate(nets):
            L = depth[i] + 1
            for l in range(H):
                ax = axes[i][l]
                if l >= L - 1:
                    ax.set_visible(False)
                    continue
                for rule, c in rules.items():
                    if c is None:
                        continue
                    r = get_rule(rule)
                    ax.fill_between(c["epoch"], c["low"][:, l], c["high"][:, l], color=r.colour,
                                    alpha=0.15, lw=0)
                    ax.plot(c["epoch"], c["angle"][:, l], "-", lw=1.5, color=r.colour,
                            label=r.label, zorder=1.5 if r.baseline else 2)
                ax.axhline(90, color="0.5", lw=0.8, ls="--")
                ax.set_ylim(-5, 185)
                ax.set_yticks([0, 45, 90, 135, 180])
                if l not in titled:                 # the column's first panel
                    titled.add(l)
                    ax.set_title(f"$W_{{{l}}}$ (into hidden layer {l + 1})", fontsize=10)
                if i == len(nets) - 1 or l >= depth[i + 1]:      # nothing below it
                    ax.set_xlabel("epoch")
            axes[i][0].set_ylabel(_row_title(dataset, net).replace(" ", "\n", 1) +
                                  "\nangle (degrees)", fontsize=9)
        handles = {}
        for row in axes:
            for ax in row:
                for h, lab in zip(*ax.get_legend_handles_labels()):
                    handles.setdefault(lab, h)
        _legend_on_top(fig, list(handles.values()), list(handles), ncol=3)
        if title:
            fig.suptitle(title, fontsize=11)
    return fig
