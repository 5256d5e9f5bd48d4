"""Figures and tables of the Training part (gtp.book.figures_training)."""

import numpy as np
import pytest
from matplotlib.figure import Figure

import gtp.book.figures_training as F
from gtp import reports as report


def entries(n=3, L=2, partial=False):
    out = [{"epoch": e, "examples": 100 * e, "train_acc": 0.1 + 0.2 * e, "val_acc": 0.1 + 0.25 * e,
            "train_loss": 1.0 / (e + 1), "val_loss": 1.1 / (e + 1), "test_acc": 0.1 + 0.24 * e,
            "cos_batch": [0.5 + 0.1 * e] * (L - 1) + [1.0]} for e in range(n)]
    for e in out[1:]:
        e["train_acc_running"], e["train_loss_running"] = e["train_acc"] - 0.05, e["train_loss"]
    if partial:
        out.append(dict(out[-1], epoch=n, examples=100 * (n - 1) + 50, partial=True))
    return out


def test_training_figure_plots_the_entries():
    ep = entries(partial=True)
    fig = F.training_figure(ep, title="t")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    acc = fig.axes[0]
    val = [l for l in acc.lines if l.get_label() == "validation"][0]
    np.testing.assert_allclose(val.get_ydata(), [100 * e["val_acc"] for e in ep])
    assert val.get_xdata()[-1] == pytest.approx(2.5)          # half of the third epoch
    cos = fig.axes[2].lines[0]
    np.testing.assert_allclose(cos.get_ydata(), [e["cos_batch"][0] for e in ep])
    assert F.png_bytes(fig)[:4] == b"\x89PNG"


def test_training_figure_without_cosines_or_entries():
    ep = [{k: v for k, v in e.items() if k != "cos_batch"} for e in entries()]
    assert len(F.training_figure(ep).axes) == 2
    fig = F.training_figure([])
    assert any(t.get_text() == "no epoch yet" for t in fig.axes[0].texts)


def test_learning_and_cosine_curves():
    fig = F.learning_curves(entries(), test=True)
    labels = [l.get_label() for l in fig.axes[0].lines]
    assert "test" in labels and "validation" in labels
    fig = F.cosine_curves(entries(L=3), key="cos_batch")
    layers = [l.get_label() for l in fig.axes[0].lines if l.get_label().startswith("$W")]
    assert len(layers) == 3 and "output" in layers[-1] and "output" not in layers[0]


def test_misclassified_grid_labels_every_error():
    rng = np.random.default_rng(0)
    X = rng.random((50, 784))
    y = rng.integers(0, 10, 50)
    pred = y.copy()
    pred[[3, 7, 20]] = (y[[3, 7, 20]] + 1) % 10
    assert list(F.misclassified_indices(pred, y)) == [3, 7, 20]
    fig = F.misclassified(X, y, pred)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == [f"{y[i]}\u2192{pred[i]}" for i in (3, 7, 20)]
    img = fig.axes[0].images[0].get_array()
    assert img.shape == (1 * (28 + 9), 8 * 30)              # one row of tiles with room for text
    Xc = rng.random((5, 3072))
    fig = F.misclassified(Xc, np.zeros(5, int), np.ones(5, int), shape=(3, 32, 32),
                          class_names=["airplane", "automobile"], n=4)
    assert fig.axes[0].images[0].get_array().shape[-1] == 3
    assert fig.axes[0].texts[0].get_text() == "airpla\u2192automo"
    fig = F.misclassified(X, y, y)
    assert fig.axes[0].texts[0].get_text() == "no misclassified example"


def grid():
    cells = [{"tau": t, "eta": e, "status": "finished", "diverged": False,
              "val_acc": 0.1 * (i + j), "message": None}
             for i, t in enumerate((1.0, 10.0)) for j, e in enumerate((0.01, 0.1, 1.0))]
    cells[-1].update(status="diverged", diverged=True, val_acc=None)
    return {"kind": "tau-eta", "settings": {"taus": [1.0, 10.0], "etas": [0.01, 0.1, 1.0]},
            "cells": cells[:-2] + cells[-1:]}                 # (10, 0.1) missing


def test_heatmap_marks_values_divergence_best_and_paper():
    fig = F.heatmap(grid(), paper=(10.0, 0.01), title="g")
    ax = fig.axes[0]
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(["0", "10", "20", "10", "div"])
    data = ax.images[0].get_array()
    assert data.mask[1, 1] and data.mask[1, 2] and data[0, 2] == pytest.approx(20)
    assert len(ax.patches) == 3                              # diverged cell, best box, paper box
    assert len(fig.axes) == 2                                # with its colour bar


from test_report import record, results_root  # noqa: E402,F401  (shared fixture)


def test_row_curves_and_gap_figure(results_root):  # noqa: F811
    rows = report.table_data(1, root=str(results_root))
    fig = F.row_curves(rows, budget=2)
    assert len([a for a in fig.axes if a.axison]) == 6
    assert len(fig.axes[0].lines) == 4 + 1                   # four runs and the paper's line
    assert any(t.get_text() == "not run yet" for t in fig.axes[2].texts)
    fig = F.gap_figure(rows)
    assert len(fig.axes[0].get_yticklabels()) == 6


def test_unknown_variant_drawn(results_root):  # noqa: F811
    record(results_root / "table1" / "h.json", "mnist", (784, 100, 10), "gtp", 0, 0.91,
           variant="long")
    fig = F.gap_figure(report.table_data(1, root=str(results_root)))
    assert "GTP, long" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_sensitivity_series_have_one_colour_in_the_ridge_and_the_twin_curves():
    """The k-th map of the sensitivity chapter is drawn in one colour in the ridge figure
    and in the twin's cell curves (they used two orders of the palette)."""
    from matplotlib.colors import to_hex
    grids = []
    for k in range(4):
        g = grid()
        for c in g["cells"]:
            if c["val_acc"] is not None:
                c["val_acc"] = 0.6 + 0.05 * k
                c["val_acc_epochs"] = [0.5, c["val_acc"]]
        grids.append(g)
    labels = [f"map {k}" for k in range(4)]
    ridge = F.ridge(grids, labels, min_acc=0.5)
    ridge_colours = {ln.get_label(): to_hex(ln.get_color()) for ln in ridge.axes[0].lines
                     if ln.get_label() in labels}
    curves = F.cell_curve(dict(zip(labels, grids)), 1.0, 0.01)
    curve_colours = {ln.get_label(): to_hex(ln.get_color()) for ln in curves.axes[0].lines
                     if ln.get_label() in labels}
    assert len(ridge_colours) == len(curve_colours) == 4
    assert ridge_colours == curve_colours


# ------------------------------------------------------------------ the plotted values (issue #28)
def test_learning_curves_plot_every_metric_of_the_entries():
    ep = entries(n=4, partial=True)
    fig = F.learning_curves(ep, test=True, title="run")
    a1, a2 = fig.axes
    xs = [0, 1, 2, 3, 3.5]                                   # the partial epoch: 350 / 100 examples
    for ax, metric, scale in ((a1, "acc", 100), (a2, "loss", 1)):
        lines = {ln.get_label(): ln for ln in ax.lines}
        assert set(lines) == {"train (fixed subset)", "train (running, before each update)", "validation"} | (
            {"test"} if metric == "acc" else set())                  # the entries hold no test cost
        for label, key in (("train (fixed subset)", f"train_{metric}"), ("validation", f"val_{metric}")):
            np.testing.assert_allclose(lines[label].get_xdata(), xs)
            np.testing.assert_allclose(lines[label].get_ydata(), [scale * e[key] for e in ep])
        running = lines["train (running, before each update)"]          # not measured at epoch 0
        np.testing.assert_allclose(running.get_xdata(), xs[1:])
        np.testing.assert_allclose(running.get_ydata(), [scale * e[f"train_{metric}_running"] for e in ep[1:]])
        if metric == "acc":
            np.testing.assert_allclose(lines["test"].get_ydata(), [100 * e["test_acc"] for e in ep])
    assert a1.get_ylabel() == "accuracy (%)" and a2.get_ylabel() == "mean cost"
    assert fig._suptitle.get_text() == "run"


def test_cosine_curves_plot_every_layer_and_skip_undefined_values():
    ep = entries(n=3, L=3)
    ep[1]["cos_batch"] = [None, 0.7, 1.0]                   # undefined for W_0 at epoch 1
    ax = F.cosine_curves(ep, title="c").axes[0]
    curves = [ln for ln in ax.lines if ln.get_label().startswith("$W")]
    assert [ln.get_label() for ln in curves] == ["$W_{0}$", "$W_{1}$", "$W_{2}$ (output: = 1)"]
    np.testing.assert_allclose(curves[0].get_xdata(), [0, 2])
    np.testing.assert_allclose(curves[0].get_ydata(), [0.5, 0.7])
    np.testing.assert_allclose(curves[1].get_ydata(), [0.5, 0.7, 0.7])
    np.testing.assert_allclose(curves[2].get_ydata(), [1.0, 1.0, 1.0])
    assert ax.get_ylim() == (-1.05, 1.05) and ax.get_title() == "c"


def test_training_figure_plots_cost_and_every_layers_cosine():
    ep = entries(n=3, L=3)
    fig = F.training_figure(ep)
    cost = {ln.get_label(): ln for ln in fig.axes[1].lines}
    np.testing.assert_allclose(cost["validation"].get_ydata(), [e["val_loss"] for e in ep])
    np.testing.assert_allclose(cost["train (fixed subset)"].get_ydata(), [e["train_loss"] for e in ep])
    cos = [ln for ln in fig.axes[2].lines if ln.get_label().startswith("$W")]
    for l, ln in enumerate(cos):
        np.testing.assert_allclose(ln.get_ydata(), [e["cos_batch"][l] for e in ep])


def test_heatmap_image_and_labels_are_the_cells_accuracies():
    fig = F.heatmap(grid(), paper=(10.0, 0.01))
    ax = fig.axes[0]
    data = ax.images[0].get_array()
    np.testing.assert_allclose(data[0], [0, 10, 20])         # tau 1: 100 x val_acc per eta
    assert data[1, 0] == pytest.approx(10) and data.mask[1, 2]   # tau 10: eta 1 diverged
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.01", "0.1", "1"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "10"]


def test_ridge_plots_the_best_eta_at_each_tau():
    g = grid()
    for c in g["cells"]:
        if c["val_acc"] is not None:
            c["val_acc"] = {(1.0, 0.01): 0.6, (1.0, 0.1): 0.9, (1.0, 1.0): 0.7, (10.0, 0.01): 0.8}[(c["tau"], c["eta"])]
    ax = F.ridge([g], ["map"], min_acc=0.5).axes[0]
    line = [ln for ln in ax.lines if ln.get_label() == "map"][0]
    np.testing.assert_allclose(line.get_xdata(), [1.0, 10.0])
    np.testing.assert_allclose(line.get_ydata(), [0.1, 0.01])              # argmax over eta per tau
    guides = [ln for ln in ax.lines if ln.get_linestyle() == ":"]
    for prod, ln in zip((0.1, 1.0, 10.0), guides):
        np.testing.assert_allclose(ln.get_xdata() * ln.get_ydata(), prod)  # eta * tau constant
    assert F.ridge([g], ["map"], min_acc=0.95).axes[0].lines[0].get_xdata().size == 0


def test_cell_curve_plots_the_cells_epochs():
    g = grid()
    g["cells"][0]["val_acc_epochs"] = [0.2, 0.5, 0.8]
    ax = F.cell_curve(g, 1.0, 0.01).axes[0]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [20, 50, 80])
    assert ax.get_title() == "$\\tau$ = 1, $\\eta$ = 0.01" and ax.get_ylim() == (0, 100)
    ax = F.cell_curve(g, 10.0, 1.0).axes[0]
    assert not ax.lines and ax.texts[0].get_text() == "diverged"


def test_row_curves_plot_the_records(results_root):  # noqa: F811
    rows = report.table_data(1, root=str(results_root))
    fig = F.row_curves(rows, budget=2)
    r = rows[0]
    ax = fig.axes[0]
    assert ax.get_title() == f"{r['net']} (paper {r['paper']:.2f}%)"
    plotted = sorted(tuple(np.round(ln.get_ydata(), 9)) for ln in ax.lines[:-1])
    want = sorted(tuple(np.round(100 * np.array([e["val_acc"] for e in rec["epochs"]]), 9))
                  for recs in r["records"].values() for rec in recs)
    assert plotted == want
    assert list(ax.lines[-1].get_ydata()) == [r["paper"]] * 2
    # the gap figure's plotted values (gaps to the paper, seeds, off-scale marks): test_gap_figure.py
