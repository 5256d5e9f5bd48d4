"""gtp.book.figures_theory: each figure draws the data of the maths modules it claims to draw."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

matplotlib.use("Agg")
from gtp.book import figures_theory as ft
from gtp.maths import dynamics


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_figure2_draws_euler_path_and_exact_solution():
    r = dynamics.euler_vs_exact(tau=4.0, steps=12, start="zero")
    fig = ft.target_convergence(r)
    a1, a2 = fig.axes
    exact, euler = a1.lines[:2]
    np.testing.assert_array_equal(euler.get_xdata(), r["t"])
    np.testing.assert_array_equal(euler.get_ydata(), r["path"])
    np.testing.assert_array_equal(exact.get_ydata(), r["exact"])
    assert a2.get_yscale() == "log"
    assert "zero start" in [t.get_text() for t in fig.legends[0].get_texts()][1]
    assert "converg" in fig._suptitle.get_text()


def test_figure2_update_moves_the_artists():
    f = ft.TargetConvergenceFigure(dynamics.euler_vs_exact())
    r = dynamics.euler_vs_exact(tau=30.0, steps=7)
    f.update(r)
    np.testing.assert_array_equal(f.euler.get_ydata(), r["path"])
    assert r["status"] == "diverged"
    assert "\u03c4 = 30" in f.title.get_text() and "thrown away" in f.title.get_text()


def test_tau_grid_titles_report_each_status():
    fig = ft.tau_grid((0.25, 1.1, 2.5))
    titles = [ax.get_title() for ax in fig.axes]
    assert [t.split("\n")[1] for t in titles] == ["converged", "oscillating", "diverged"]


def test_start_comparison_draws_the_four_curves():
    rng = np.random.default_rng(0)
    w, y, t = rng.normal(size=(3, 4)), rng.random(4), np.array([1.0, 0.0, 0.0])
    data = dynamics.start_comparison(w, y, t, tau=1.0, steps=8)
    fig = ft.start_comparison(data)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and len(ax.lines) == 4
    ys = {line.get_label(): line.get_ydata() for line in ax.lines}
    np.testing.assert_array_equal(ys["Euler, zero start"], data["euler_zero"])
    np.testing.assert_array_equal(ys["Euler, activation start"], data["euler_activation"])


def test_targets_by_layer_bars_match_the_targets():
    import gtp
    W = gtp.init_weights([5, 4, 3, 2], "paper", rng=0)
    x = np.random.default_rng(0).random(5)
    zs, ys = gtp.forward(W, x)
    yh = gtp.targets(W, zs, ys, 1, tau=1.0, steps=2, start="activation")
    fig = ft.targets_by_layer(ys, {"activation start": yh})
    assert len(fig.axes) == 3
    heights = [p.get_height() for p in fig.axes[1].patches]
    np.testing.assert_allclose(heights, np.concatenate([ys[2], yh[2]]))


def test_term_shares_and_cosine_grid_figures():
    taus = np.array([0.1, 1.0, 10.0])
    shares = np.array([[0.1, 0.2, 1.0], [0.4, 0.5, 1.0], [0.9, 0.9, 1.0]])
    fig = ft.term_shares(taus, shares, shares ** 0.5, marks=(25,))
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), shares[:, 0])
    grids = {"zero": np.random.default_rng(0).random((2, 3, 3)),
             "activation": np.ones((2, 3, 3))}
    fig = ft.cosine_grid(taus, [1, 5], grids)
    assert len(fig.axes) == 4                       # 2 starts x 2 hidden weight matrices
    np.testing.assert_array_equal(fig.axes[1].lines[1].get_ydata(), grids["zero"][1, :, 1])


def test_inversion_figures():
    w2, t2, y0 = np.array([[1.5, -2.0]]), np.array([0.7]), np.array([0.3, 0.6])
    fig = ft.inversion_landscape(w2, y0, t2, t_max=50.0)
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert "nearest preimage" in labels and "eq. 37 iterates" in labels
    fig = ft.overdetermined(np.array([[1.5], [-2.0]]), np.array([0.3]), np.array([0.7, 0.6]),
                            t_max=200.0)
    assert any(line.get_label().startswith("ODE limit") for line in fig.axes[0].lines)
    rng = np.random.default_rng(1)
    w = rng.normal(size=(3, 8)) / 2
    t = 1 / (1 + np.exp(-w @ rng.random(8)))
    fig = ft.inversion_iterations(w, rng.random(8), t, tau=1.0, iterations=10)
    d37, deul = (line.get_ydata() for line in fig.axes[0].lines)
    assert d37[-1] > d37[0] and deul[-1] < deul[0]


def test_feedback_channels_draws_one_labelled_arrow_per_channel():
    from matplotlib.patches import FancyArrowPatch

    from gtp.maths import decomposition as dec
    chans = dec.feedback_channels(3)
    fig = ft.feedback_channels(chans, 3)
    ax = fig.axes[0]
    assert sum(isinstance(p, FancyArrowPatch) for p in ax.patches) == len(chans) == 6
    labels = [t.get_text() for t in ax.texts]
    assert "C3 $\\tau^2$" in labels and "C1" in labels and "C5" in labels and "C4 $\\tau$" in labels
    fig1 = ft.feedback_channels(dec.feedback_channels(2, activity=False), 2)
    assert sum(isinstance(p, FancyArrowPatch) for p in fig1.axes[0].patches) == 2


def test_neuron_uncertainty_draws_sigmoid_and_density():
    from gtp.maths import initialisation as init
    fig = ft.neuron_uncertainty(init.uncertainty)
    ax, bx = fig.axes
    y = bx.lines[0].get_xdata()
    np.testing.assert_allclose(bx.lines[0].get_ydata(), 6 * y * (1 - y))
    assert any("I don't know" in t.get_text() for t in ax.texts)
