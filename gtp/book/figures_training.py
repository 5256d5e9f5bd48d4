"""Figures and tables of the Training part: learning curves, per-layer cosines with
backprop, misclassified images, the paper's tables beside ours, and the tau x eta maps.

Figures are built as plain ``matplotlib.figure.Figure`` objects (not registered with
pyplot), so the training panel can draw them from its worker thread and a notebook
shows each exactly once.  Inputs are the records of ``gtp.engine.training.train`` (their
``"epochs"`` entries), result files under ``results/`` (``gtp.engine.records``) and the grids
of ``gtp.experiments.sensitivity_grids``; tables come from ``gtp.reports``.  These functions only draw.
"""
import functools

import numpy as np
from matplotlib.patches import Rectangle

from ..experiments.sensitivity_grids import best_cell, find_cell, grid_matrix
from ..reports.tables_v1 import STATUS_DONE, columns, kind_colour, kind_label
from .figure_style import COLUMN_WIDTH, PALETTE, figure, png_bytes, style

__all__ = ["new_figure", "png_bytes", "learning_curves", "cosine_curves", "training_figure",
           "misclassified", "misclassified_indices", "heatmap", "ridge", "row_curves",
           "gap_figure", "cell_curve"]


def _styled(fn):
    """Run a figure function inside the book's rcParams."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with style():
            return fn(*args, **kwargs)
    return wrapper


def new_figure(nrows=1, ncols=1, height=3.2, width=COLUMN_WIDTH, layout="constrained", **kwargs):
    """``(fig, axes)`` at column width, not managed by pyplot (thread-safe; call inside
    ``style()``).  ``layout=None`` skips the layout engine (faster redraws)."""
    return figure(nrows, ncols, height=height, width=width, pyplot=False, layout=layout,
                  squeeze=True, **kwargs)


def _series(epochs, key):
    """``(x, y)`` of one entry key over epochs (entries missing the key are skipped);
    x is the number of epochs done, fractional for a partial last epoch."""
    xs, ys = [], []
    for e in epochs:
        v = e.get(key)
        if v is None:
            continue
        xs.append(_epoch_x(e, epochs))
        ys.append(v)
    return np.array(xs, dtype=float), np.array(ys, dtype=float)


def _epoch_x(e, epochs):
    if not e.get("partial"):
        return float(e["epoch"])
    full = [f for f in epochs if f["epoch"] >= 1 and not f.get("partial")]
    per = (full[0]["examples"] if full else None)
    if per:
        return e["examples"] / per
    return e["epoch"] - 0.5


# --------------------------------------------------------------------------- curves
def _draw_metric(ax, epochs, metric, test=False):
    """Train (fixed subset and running), validation and optionally test curves of
    ``metric`` ("acc", in %, or "loss") against epochs."""
    lines = [(f"train_{metric}", "train (fixed subset)", PALETTE["blue"], "-"),
             (f"train_{metric}_running", "train (running, before each update)", PALETTE["sky"], ":"),
             (f"val_{metric}", "validation", PALETTE["orange"], "-")]
    if test:
        lines.append((f"test_{metric}", "test", PALETTE["vermillion"], "--"))
    scale = 100 if metric == "acc" else 1
    for key, label, colour, ls in lines:
        x, y = _series(epochs, key)
        if len(x):
            ax.plot(x, scale * y, ls, marker="o", ms=4, color=colour, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)" if metric == "acc" else "mean cost")


def _draw_per_layer(ax, epochs, key, colours, output_note):
    """One line per weight matrix of the per-layer lists ``e[key]`` against epochs
    (``None`` entries, undefined values, are skipped); the last matrix's label gets
    ``output_note``."""
    L = max((len(e.get(key) or []) for e in epochs), default=0)
    for l in range(L):
        xs, ys = [], []
        for e in epochs:
            c = e.get(key)
            if c and c[l] is not None:
                xs.append(_epoch_x(e, epochs))
                ys.append(c[l])
        if xs:
            ax.plot(xs, ys, "-o", ms=4, color=colours[l % len(colours)],
                    label=f"$W_{{{l}}}$" + (f" ({output_note})" if l == L - 1 else ""))


def _draw_cosines(ax, epochs, key="cos_batch"):
    colours = [PALETTE[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky")]
    _draw_per_layer(ax, epochs, key, colours, "output: = 1")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cosine(GTP, backprop)")


@_styled
def learning_curves(epochs, test=False, title=None):
    """Accuracy (left) and cost (right) against epochs of one run's entries
    (``record["epochs"]``): training subset, running training, validation (and test
    with ``test=True``)."""
    fig, (a1, a2) = new_figure(1, 2, height=3.4)
    _draw_metric(a1, epochs, "acc", test)
    _draw_metric(a2, epochs, "loss", test)
    a1.legend(loc="lower right", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


@_styled
def cosine_curves(epochs, key="cos_batch", title=None):
    """Per-layer cosine between GTP's update and backprop's (``cos_batch``: updates
    summed over the probe batch; ``cos_example``: mean per-example cosine) against epochs."""
    fig, ax = new_figure(1, 1, height=3.0)
    _draw_cosines(ax, epochs, key)
    ax.legend(loc="lower right", fontsize=9)
    if title:
        ax.set_title(title, fontsize=11)
    return fig


@_styled
def training_figure(epochs, title=None, cosines=True):
    """The training panel's figure: accuracy, cost and (GTP only) the per-layer cosine
    with backprop, against epochs."""
    has_cos = cosines and any(e.get("cos_batch") for e in epochs)
    n = 3 if has_cos else 2
    fig, axes = new_figure(1, n, height=3.7, width=COLUMN_WIDTH * (1.35 if n == 3 else 1),
                           layout=None)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.3, top=0.84 if title else 0.9,
                        wspace=0.3)
    _draw_metric(axes[0], epochs, "acc")
    _draw_metric(axes[1], epochs, "loss")
    axes[0].set_title("accuracy", fontsize=11)
    axes[1].set_title("cost", fontsize=11)
    if has_cos:
        _draw_cosines(axes[2], epochs)
        axes[2].set_title("per-layer cosine with backprop", fontsize=11)
        axes[2].legend(loc="lower left", fontsize=9)
    h, lab = axes[0].get_legend_handles_labels()
    if h:
        fig.legend(h, lab, loc="lower center", ncol=3, fontsize=9, frameon=False)
    if not epochs:
        for ax in axes:
            ax.text(0.5, 0.5, "no epoch yet", ha="center", va="center", transform=ax.transAxes,
                    color="0.4")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


# --------------------------------------------------------------------------- images
def misclassified_indices(pred, y, n=24):
    """Indices of the first ``n`` examples whose prediction differs from the label."""
    return np.flatnonzero(np.asarray(pred) != np.asarray(y))[:n]


def _image(x, shape):
    """One flattened example as an image (channel-planar RGB to height x width x 3)."""
    img = np.asarray(x, dtype=float).reshape(shape)
    if img.ndim == 3:
        img = np.transpose(img, (1, 2, 0))
    return np.clip(img, 0, 1)


@_styled
def misclassified(X, y, pred, shape=(28, 28), class_names=None, n=24, ncols=8, title=None):
    """A grid of misclassified images, each labelled "label -> prediction".

    X: flattened images with values in [0, 1]; y: labels; pred: predicted classes;
    shape: image shape as stored ((28, 28) or channel-planar (3, 32, 32)).  The tiles
    are drawn as one mosaic image (fast enough for a live panel).
    """
    idx = misclassified_indices(pred, y, n)
    names = list(class_names) if class_names is not None else \
        [str(k) for k in range(int(max(np.max(y), np.max(pred))) + 1)]
    nrows = max(1, int(np.ceil(len(idx) / ncols)))
    h, w = shape[-2:]
    rgb = len(shape) == 3
    pad_top, pad = max(6, h // 3), 2          # room for the text above each tile
    th, tw = h + pad_top, w + pad
    canvas = np.ones((nrows * th, ncols * tw, 3) if rgb else (nrows * th, ncols * tw))
    if not rgb:
        canvas[:] = 0.0
    for k, i in enumerate(idx):
        r, c = divmod(k, ncols)
        img = _image(X[i], shape)
        canvas[r * th + pad_top:r * th + pad_top + h, c * tw:c * tw + w] = img
    fig, ax = new_figure(1, 1, height=1.1 * nrows + (0.5 if title else 0.2))
    ax.imshow(canvas, cmap=None if rgb else "gray_r", vmin=0, vmax=1,
              interpolation="nearest", aspect="equal")
    short = max(len(s) for s in names) > 3
    for k, i in enumerate(idx):
        r, c = divmod(k, ncols)
        lab, p = names[int(y[i])], names[int(pred[i])]
        if short:
            lab, p = lab[:6], p[:6]
        ax.text(c * tw + w / 2, r * th + pad_top - 1, f"{lab}\u2192{p}", ha="center",
                va="bottom", fontsize=7 if short else 10, color=PALETTE["vermillion"])
    if not len(idx):
        ax.text(0.5, 0.5, "no misclassified example", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=11)
    return fig


# --------------------------------------------------------------------------- heat maps
def _fmt_tick(v):
    return f"{v:g}"


@_styled
def heatmap(grid, paper=None, title=None, ax=None, colorbar=True):
    """Validation accuracy over a ``gtp.experiments.sensitivity_grids`` grid (percent in every cell).

    Rows: tau (or tau_1); columns: eta (or tau_2).  Diverged cells are dark and marked
    "div", missing cells are blank, the best cell is boxed in black and ``paper`` (a
    ``(row value, column value)`` pair, e.g. the paper's (tau, eta)) in vermillion.

    Used in: book/training/sensitivity.md.
    """
    rows, cols, acc, div = grid_matrix(grid)
    own = ax is None
    if own:
        fig, ax = new_figure(1, 1, height=4.6, width=COLUMN_WIDTH * 0.9)
    else:
        fig = ax.figure
    shown = np.ma.masked_invalid(100 * acc)
    im = ax.imshow(shown, cmap="viridis", vmin=0, vmax=100, origin="lower", aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            if div[i, j]:
                ax.add_patch(Rectangle((j - .5, i - .5), 1, 1, color="0.25"))
                ax.text(j, i, "div", ha="center", va="center", fontsize=8, color="white")
            elif np.isfinite(acc[i, j]):
                v = 100 * acc[i, j]
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=8,
                        color="black" if v > 60 else "white")
    best = best_cell(grid)
    if best is not None:
        i, j = rows.index(best[0]), cols.index(best[1])
        ax.add_patch(Rectangle((j - .5, i - .5), 1, 1, fill=False, ec="black", lw=2.5))
    if paper is not None and paper[0] in rows and paper[1] in cols:
        i, j = rows.index(paper[0]), cols.index(paper[1])
        ax.add_patch(Rectangle((j - .42, i - .42), .84, .84, fill=False,
                               ec=PALETTE["vermillion"], lw=2.5, ls="--"))
    ax.set_xticks(range(len(cols)), [_fmt_tick(c) for c in cols], rotation=45)
    ax.set_yticks(range(len(rows)), [_fmt_tick(r) for r in rows])
    ax.grid(False)
    if grid["kind"] == "tau-eta":
        ax.set_xlabel(r"learning rate $\eta$")
        ax.set_ylabel(r"$\tau$")
    else:
        ax.set_xlabel(r"$\tau_2$ (last hidden layer)")
        ax.set_ylabel(r"$\tau_1$ (first hidden layer)")
    if title:
        ax.set_title(title, fontsize=11)
    if colorbar and own:
        fig.colorbar(im, ax=ax, label="validation accuracy (%)", shrink=0.85)
    return fig


#: colours of the sensitivity maps' series, in the order the chapter lists the maps: the
#: ridge figure and the twin's cell curves give the k-th map the same colour
SENSITIVITY_SERIES = ("blue", "orange", "green", "vermillion", "purple", "sky")


@_styled
def ridge(grids, labels, min_acc=0.5, title=None):
    """For tau x eta grids: the best eta at each tau (where it reaches ``min_acc``), on
    log-log axes, with guide lines of constant eta * tau (the zero start makes a hidden
    update about eta * tau times a backprop step).

    Used in: book/training/sensitivity.md.
    """
    fig, ax = new_figure(1, 1, height=3.6)
    markers = ["o", "s", "^", "D"]
    colours = [PALETTE[c] for c in SENSITIVITY_SERIES]
    taus_all = []
    for k, (g, lab) in enumerate(zip(grids, labels)):
        rows, cols, acc, _ = grid_matrix(g)
        xs, ys = [], []
        for i, tau in enumerate(rows):
            if np.all(np.isnan(acc[i])) or np.nanmax(acc[i]) < min_acc:
                continue
            xs.append(tau)
            ys.append(cols[int(np.nanargmax(acc[i]))])
        taus_all += rows
        ax.loglog(xs, ys, "-" + markers[k % 4], color=colours[k % 4], label=lab, ms=6)
    if taus_all:
        t = np.array([min(taus_all), max(taus_all)])
        for prod in (0.1, 1.0, 10.0):
            ax.loglog(t, prod / t, ":", color="0.55", lw=1)
            ax.text(t[0], prod / t[0], f" ητ = {prod:g}", fontsize=9, color="0.4", va="bottom")
    ax.set_xlabel(r"$\tau$")
    ax.set_ylabel(r"best $\eta$ at this $\tau$")
    ax.legend(fontsize=9, loc="upper right")
    if title:
        ax.set_title(title, fontsize=11)
    return fig


# --------------------------------------------------------------------------- tables
@_styled
def row_curves(rows, key="val_acc", title=None, budget=None):
    """Learning curves for every row of a table (``gtp.reports.table_data``): one panel per
    network, validation accuracy (``key``) against epochs, one line per seed and per run
    kind (dotted while a run is still going); rows with no run yet say so.  ``budget``:
    the planned epochs (x axis of rows not run yet).

    Used in: book/training/tables.md.
    """
    from matplotlib.lines import Line2D
    n = len(rows)
    ncols = 2
    nrows = int(np.ceil(n / ncols))
    fig, axes = new_figure(nrows, ncols, height=2.2 * nrows + 0.8, sharex=False)
    axes = np.atleast_1d(axes).ravel()
    kinds, any_running = set(), False
    for ax, r in zip(axes, rows):
        ax.set_title(f"{r['net']} (paper {r['paper']:.2f}%)", fontsize=10)
        drawn, last_epoch = False, budget or 1
        for k, recs in sorted(r["records"].items()):
            colour = kind_colour(k)
            for rec in recs:
                x, y = _series(rec.get("epochs", []), key)
                last_epoch = max(last_epoch, rec["config"].get("epochs") or 1)
                if len(x) < 1:
                    continue
                done = rec.get("status") in STATUS_DONE
                any_running |= not done
                ax.plot(x, 100 * y, "-" if done else ":", marker="o", ms=3, color=colour,
                        lw=1.3, alpha=0.85)
                kinds.add(k)
                drawn = True
        ax.axhline(r["paper"], color=PALETTE["vermillion"], ls="--", lw=1)
        if not drawn:
            ax.text(0.5, 0.5, "not run yet", ha="center", va="center",
                    transform=ax.transAxes, color="0.4")
        ax.set_xlim(-0.2, last_epoch + 0.2)
        ax.set_ylim(0, 100)
        ax.set_xlabel("epoch", fontsize=10)
        ax.set_ylabel("val. acc. (%)", fontsize=10)
    for ax in axes[n:]:
        ax.set_axis_off()
    handles = [Line2D([], [], color=kind_colour(k), marker="o", ms=3) for k in sorted(kinds)]
    labels = [kind_label(k) for k in sorted(kinds)]
    handles.append(Line2D([], [], color=PALETTE["vermillion"], ls="--"))
    labels.append("paper (test accuracy)")
    if any_running:
        handles.append(Line2D([], [], color="0.4", ls=":"))
        labels.append("dotted: run still going")
    fig.legend(handles, labels, loc="outside lower center", ncol=min(3, len(handles)),
               fontsize=9, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


@_styled
def gap_figure(rows, title=None, span=8.0, close=1.0):
    """Dot plot of each of our run kinds' test accuracy minus the paper's, in points, per
    row (mean as a circle, every seed as a small dot); missing runs are simply absent.

    The paper is the line at 0, the band around it ``close`` points either way (the
    chapter's "within a point").  Accuracies range from chance to 98%, so on one
    accuracy axis the half-point differences the chapter discusses were a dot's width:
    the axis spans only the gaps of the means within ``span`` points below the paper (and
    everything above it); a mean further below is written at the left edge with its gap
    ("off scale").

    Used in: book/training/tables-v1.md.
    """
    cols = columns(rows)
    cells = [(y, c, r["cells"][c], r["paper"]) for y, r in zip(range(len(rows))[::-1], rows)
             for c in cols if r["cells"].get(c) and r["cells"][c]["n"]]
    shown = [(y, c, cell, paper) for y, c, cell, paper in cells if cell["mean"] - paper >= -span]
    xs = [v - paper for _, _, cell, paper in shown for v in cell["values"] + [cell["mean"]]]
    lo, hi = min(xs + [-close]), max(xs + [close])
    pad = 0.06 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    fig, ax = new_figure(1, 1, height=0.56 * len(rows) + 1.3)
    ax.axvspan(-close, close, color="0.9", lw=0, zorder=0,
               label=f"within {close:g} point of the paper")
    ax.axvline(0, color=PALETTE["vermillion"], lw=1.5, zorder=1, label="paper")
    offsets = dict(zip(cols, np.linspace(-0.25, 0.25, len(cols))))
    labelled = set()
    for y0, c, cell, paper in cells:
        colour, y = kind_colour(c), y0 + offsets[c]
        gap = cell["mean"] - paper
        if gap < lo:
            ax.text(lo + 0.01 * (hi - lo), y, f"{gap:+.1f} points (off scale)",
                    va="center", fontsize=9, color=colour)
            continue
        ax.plot([v - paper for v in cell["values"]], [y] * len(cell["values"]), ".",
                color=colour, ms=5, zorder=2)
        ax.plot([gap], [y], "o", color=colour, ms=7, zorder=3,
                label=None if c in labelled else kind_label(c))
        labelled.add(c)
    for c in cols:                                  # a kind drawn only off scale: in the legend too
        if c not in labelled and any(c == k for _, k, _, _ in cells):
            ax.plot([], [], "o", color=kind_colour(c), ms=7, label=kind_label(c))
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_yticks(range(len(rows))[::-1], [r["net"] for r in rows], fontsize=9)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("test accuracy minus the paper's (points)")
    fig.legend(loc="outside lower center", ncol=2, fontsize=9, frameon=False)
    if title:
        ax.set_title(title, fontsize=11)
    return fig


def cell_curve(grids, row, col):
    """Validation accuracy after every epoch of one cell of ``gtp.experiments.sensitivity_grids`` grids: the
    cell (tau = ``row``, eta = ``col``) of tau x eta grids, or (tau_1 = ``row``, tau_2 =
    ``col``) of per-layer grids.  ``grids``: one grid, or a dict label -> grid (one line per
    map, for grids on the same axes; the sensitivity twins' frame, small and fast).

    Used in: book/training/sensitivity.md."""
    if "cells" in grids:
        grids = {None: grids}
    fig, ax = new_figure(1, 1, height=2.6, width=COLUMN_WIDTH * (0.62 if len(grids) == 1 else 0.9),
                         layout=None)
    fig.subplots_adjust(left=0.13 if len(grids) == 1 else 0.09, bottom=0.2, top=0.87,
                        right=0.97 if len(grids) == 1 else 0.62)
    colours = [PALETTE[c] for c in SENSITIVITY_SERIES]
    missing = []
    for k, (label, grid) in enumerate(grids.items()):
        cell = find_cell(grid, row, col)
        acc = (cell or {}).get("val_acc_epochs") or []
        if acc and not cell["diverged"]:
            ax.plot(range(len(acc)), 100 * np.asarray(acc, dtype=float), "-o", ms=4,
                    color=colours[k % len(colours)], label=label)
            ax.set_xticks(range(len(acc)))
        else:
            missing.append((label, "diverged" if cell and cell["diverged"] else "not computed"))
    if missing and len(grids) == 1:
        ax.text(0.5, 0.5, missing[0][1], ha="center", va="center", transform=ax.transAxes,
                color="0.4")
    elif missing:
        ax.plot([], [], " ", label="; ".join(f"{lab}: {why}" for lab, why in missing))
    if len(grids) > 1:
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=9, frameon=False)
    ax.set_ylim(0, 100)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation acc. (%)")
    grid = next(iter(grids.values()))
    if grid["kind"] == "tau-eta":
        ax.set_title(f"$\\tau$ = {row:g}, $\\eta$ = {col:g}", fontsize=11)
    else:
        ax.set_title(f"$\\tau_1$ = {row:g}, $\\tau_2$ = {col:g}, "
                     f"$\\eta$ = {grid['settings']['eta']:g}", fontsize=11)
    return fig
