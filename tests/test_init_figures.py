"""Figures and studies of the Initialisation part, on tiny budgets."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from gtp.book import figures_initialisation as F
from gtp.maths import initialisation as init

SIZES = [30, 40, 40, 40, 5]


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).random((160, 30))


@pytest.fixture(scope="module")
def study(X):
    configs = ["paper", "paper-exact", "normal",
               ("paper (data)", dict(scheme="paper", input_stats=init.input_statistics(X)))]
    return F.depth_study(SIZES, X, configs, replicates=4, rng=1)


def test_resolve_config():
    assert F.resolve_config("he") == ("he", "he", {})
    assert F.resolve_config(("x", dict(scheme="paper", input_stats=(0.1, 0.1)))) == \
        ("x", "paper", {"input_stats": (0.1, 0.1)})
    assert F.config_variances(SIZES, "glorot") == init.scheme_variances(SIZES, "glorot")


def test_depth_study_content_and_reproducibility(study, X):
    assert list(study) == ["paper", "paper-exact", "normal", "paper (data)"]
    r = study["paper-exact"]
    assert r["scheme"] == "paper-exact" and len(r["variances"]) == 4
    assert r["mc"]["var_y"].shape == (4,) and r["pred"]["var_y"].shape == (4,)
    # the data-aware config uses the measured statistics (here close to uniform)
    assert study["paper (data)"]["variances"][0] == pytest.approx(
        init.weight_var(30, *init.input_statistics(X), printed=False))
    again = F.depth_study(SIZES, X, ["paper-exact"], replicates=4, rng=1)
    np.testing.assert_array_equal(again["paper-exact"]["mc"]["var_y"],
                                  F.depth_study(SIZES, X, ["paper-exact"], replicates=4,
                                                rng=1)["paper-exact"]["mc"]["var_y"])
    rows = F.first_pass_table(study)
    assert [row[0] for row in rows] == list(study)
    assert rows[0][2] == pytest.approx(study["paper"]["pred"]["var_y_delta"][0])


def test_early_training_runs_shapes_and_learning():
    rng = np.random.default_rng(2)
    centers = rng.random((3, 20))
    y = rng.integers(0, 3, 600)
    Xd = np.clip(centers[y] + 0.1 * rng.standard_normal((600, 20)), 0, 1)
    runs = F.early_training_runs([20, 16, 3], (Xd[:400], y[:400]), (Xd[400:], y[400:]),
                                 ["paper", "normal"], {"backprop": dict(eta=0.5),
                                                       "gtp": dict(tau=2.0, eta=0.5)},
                                 seeds=[0, 1], n_examples=400, every=100)
    assert runs["seen"].tolist() == [0, 100, 200, 300, 400]
    assert set(runs["acc"]) == {(r, s) for r in ("backprop", "gtp") for s in ("paper", "normal")}
    acc = runs["acc"][("backprop", "paper")]
    assert acc.shape == (2, 5) and np.all((acc >= 0) & (acc <= 1))
    assert acc[:, -1].mean() > 0.9                 # three well-separated clusters are learned
    again = F.early_training_runs([20, 16, 3], (Xd[:400], y[:400]), (Xd[400:], y[400:]),
                                  ["paper"], {"backprop": dict(eta=0.5)}, seeds=[0, 1],
                                  n_examples=400, every=100)
    np.testing.assert_array_equal(again["acc"][("backprop", "paper")], acc)


def _check(fig, n_axes):
    assert isinstance(fig, Figure) and len(fig.axes) == n_axes
    fig.canvas.draw()
    plt.close(fig)


def test_uncertainty_and_delta_method_figures():
    fig = F.uncertainty_densities({"a": 0.8, "b": 1.2})
    labels = [l.get_label() for l in fig.axes[0].get_lines()]
    assert "a" in labels and "b" in labels
    _check(fig, 1)
    fig = F.delta_method({"x": 0.8})
    exact = fig.axes[0].get_lines()[0]
    assert np.all(np.diff(exact.get_ydata()) > 0)                  # Var(y) grows with Var(z)
    _check(fig, 1)


def test_depth_figures(study, X):
    fig = F.variance_by_depth([study, study], ["a", "b"])
    assert fig.axes[0].get_yscale() == "log" and fig.axes[0].get_title() == "a"
    _check(fig, 2)
    # the plotted data: each study's predicted Var(y_l) of the hidden layers 1..L-1, then the target 1/20
    lines = fig.axes[0].get_lines()
    hidden = np.arange(1, len(SIZES) - 1)
    preds = [ln for ln in lines if ln.get_marker() in ("None", "", None) and len(ln.get_xdata()) == len(hidden)]
    assert len(preds) == len(study)
    for line, (label, r) in zip(preds, study.items()):
        np.testing.assert_array_equal(line.get_xdata(), hidden)
        np.testing.assert_allclose(line.get_ydata(), r["pred"]["var_y"][hidden - 1], rtol=1e-12)
    assert list(lines[-1].get_ydata()) == [init.UNCERTAINTY_VAR] * 2
    mc = [c for c in fig.axes[0].containers]                     # the Monte Carlo error bars
    np.testing.assert_allclose(mc[0].lines[0].get_ydata(), study["paper"]["mc"]["var_y"][hidden - 1], rtol=1e-12)
    _check(F.variance_by_depth([study], ["a"], key="var_y_input"), 1)
    _check(F.layer_histograms(SIZES, X[:50], ["paper", "he"], [1, 3]), 4)
    _check(F.layer_histograms(SIZES, X[:50], ["paper"], [1, 2], acts="paper"), 2)
    _check(F.input_statistics({"toy": X, "zeros and ones": (X > 0.7).astype(float)}), 2)
    fig = F.preactivation_histograms(lambda A: [A.shape[1], 40, 40, 5],
                                     {"toy": X[:40], "half": X[:40, :] * 0.5}, layers=(1, 2),
                                     draws=2)
    assert fig.axes[0].get_yscale() == "log" and fig.axes[0].get_title() == "layer 1"
    _check(fig, 4)
    ys = [np.random.default_rng(0).random((20, 7)) for _ in range(4)]
    _check(F.widget_histograms(ys), 3)                  # layers 1, 2 and 4
    _check(F.widget_histograms(ys[:1], acts="paper"), 1)


def test_early_training_figure():
    runs = {"seen": np.array([0, 10, 20]),
            "acc": {(r, s): np.array([[0.1, 0.5, 0.7], [0.1, 0.6, 0.8]])
                    for r in ("gtp", "backprop") for s in ("paper", "he")}}
    fig = F.early_training(runs, ["gtp", "backprop"], ["paper", "he"], ["GTP", "backprop"])
    line = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), [0.1, 0.55, 0.75])   # mean over seeds
    _check(fig, 2)
