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
