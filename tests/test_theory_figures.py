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


def test_cosine_bars_title_is_inside_the_figure():
    """The cosine twin's 64 frames had their title cut off at the top (the layout was made
    before the title existed)."""
    from gtp.book.figures_theory import CosineBarsFigure
    bars = CosineBarsFigure(np.array([0.98, 0.5, 1.0]), "tau = 0.1, 20 steps, activation start")
    fig = bars.fig
    fig.canvas.draw()
    box = bars.title.get_window_extent(fig.canvas.get_renderer())
    assert box.y1 <= fig.bbox.y1 and box.y0 >= 0 and box.x0 >= 0 and box.x1 <= fig.bbox.x1
    bars.update(np.array([0.1, -0.2, 1.0]), "tau = 1e+03, 3 steps, zero start")
    fig.canvas.draw()
    assert bars.title.get_window_extent(fig.canvas.get_renderer()).y1 <= fig.bbox.y1


# ------------------------------------------------------------------ the plotted values (issue #28)
def test_figure2_plots_every_series_of_euler_vs_exact():
    r = dynamics.euler_vs_exact(w=1.5, label=0.7, tau=3.0, steps=9, start="activation")
    f = ft.TargetConvergenceFigure(r)
    np.testing.assert_array_equal(f.exact.get_xdata(), r["t_fine"])
    np.testing.assert_array_equal(f.exact.get_ydata(), r["exact"])
    np.testing.assert_array_equal(f.euler.get_xdata(), r["t"])
    np.testing.assert_array_equal(f.euler.get_ydata(), r["path"])
    assert list(f.minimiser.get_ydata()) == [r["y_star"]] * 2
    np.testing.assert_array_equal(f.euler_err.get_ydata(), np.maximum(r["sq_error"], f.FLOOR))
    np.testing.assert_array_equal(f.exact_err.get_ydata(), np.maximum(r["exact_sq_error"], f.FLOOR))
    lo, hi = f.ax_target.get_ylim()
    assert lo <= min(r["path"].min(), r["exact"].min()) and hi >= max(r["path"].max(), r["exact"].max())
    assert f.ax_target.get_xlim()[1] >= r["t"][-1]
    assert f.title.get_text().startswith(f"w = 1.5, label = 0.7, \u03c4 = 3 (limit {r['tau_limit']:.3g}), 9 steps")
    assert f.fig.legends[0].get_texts()[1].get_text() == "Euler targets (eq. 32), activation start"
    assert f.ax_error.get_ylabel().startswith("squared error")


def test_tau_grid_plots_each_fractions_path_against_the_step_index():
    fractions = (0.25, 1.1, 2.5)
    fig = ft.tau_grid(fractions, steps=20, w=1.5, label=0.7)
    limit = dynamics.two_neuron_stability_limit(1.5, 0.7)
    for ax, frac in zip(fig.axes, fractions):
        r = dynamics.euler_vs_exact(tau=frac * limit, steps=20, w=1.5, label=0.7)
        exact, euler, star = ax.lines
        np.testing.assert_allclose(euler.get_xdata(), np.arange(21)[r["finite"]])   # k = t / tau
        np.testing.assert_array_equal(euler.get_ydata(), r["path"][r["finite"]])
        np.testing.assert_array_equal(exact.get_ydata(), r["exact"])
        assert list(star.get_ydata()) == [r["y_star"]] * 2
        assert ax.get_title() == f"$\\tau$ = {frac:g} x limit\n{r['status']}"


def test_start_comparison_plots_all_four_series_against_time():
    rng = np.random.default_rng(0)
    w, y, t = rng.normal(size=(3, 4)), rng.random(4), np.array([1.0, 0.0, 0.0])
    data = dynamics.start_comparison(w, y, t, tau=0.5, steps=6)
    ax = ft.start_comparison(data).axes[0]
    lines = {line.get_label(): line for line in ax.lines}
    assert set(lines) == {"exact ODE from y(0) = y (forward)", "Euler, activation start",
                          "exact ODE from y(0) = 0", "Euler, zero start"}
    for label, key in (("exact ODE from y(0) = y (forward)", "ode_activation"), ("exact ODE from y(0) = 0", "ode_zero"),
                       ("Euler, activation start", "euler_activation"), ("Euler, zero start", "euler_zero")):
        np.testing.assert_array_equal(lines[label].get_xdata(), 0.5 * np.arange(7))
        np.testing.assert_array_equal(lines[label].get_ydata(), data[key])


def test_targets_by_layer_draws_every_layer_and_series():
    import gtp
    W = gtp.init_weights([5, 4, 3, 2], "paper", rng=0)
    x = np.random.default_rng(0).random(5)
    zs, ys = gtp.forward(W, x)
    yz = gtp.targets(W, zs, ys, 1, tau=2.0, steps=1, start="zero")
    ya = gtp.targets(W, zs, ys, 1, tau=1.0, steps=2, start="activation")
    fig = ft.targets_by_layer(ys, {"zero": yz, "activation": ya})
    for l, ax in enumerate(fig.axes, start=1):
        heights = [p.get_height() for p in ax.patches]
        np.testing.assert_allclose(heights, np.concatenate([ys[l], yz[l], ya[l]]))
        assert ax.get_title() == ("output layer" if l == 3 else f"hidden layer {l}")
    np.testing.assert_allclose([p.get_height() for p in fig.axes[2].patches][2:4], [0.0, 1.0])   # one-hot label


def test_term_shares_plots_every_layer_on_both_panels():
    taus = np.array([0.1, 1.0, 10.0])
    shares = np.array([[0.1, 0.2, 1.0], [0.4, 0.5, 1.0], [0.9, 0.9, 1.0]])
    cosines = np.array([[0.2, 0.3, 1.0], [0.5, 0.6, 1.0], [0.8, 0.95, 1.0]])
    fig = ft.term_shares(taus, shares, cosines, marks=(25, 400))
    a1, a2 = fig.axes
    for ax, data in ((a1, shares), (a2, cosines)):
        curves = [ln for ln in ax.lines if ln.get_label().startswith("$W")]
        assert [ln.get_label() for ln in curves] == ["$W_0$", "$W_1$", "$W_2$ (output)"]
        for l, ln in enumerate(curves):
            np.testing.assert_array_equal(ln.get_xdata(), taus)
            np.testing.assert_array_equal(ln.get_ydata(), data[:, l])
        marks = [ln.get_xdata()[0] for ln in ax.lines if not ln.get_label().startswith("$W")]
        assert marks == [25, 400] and ax.get_xscale() == "log"
    assert a1.get_ylim() == (-0.02, 1.02) and a2.get_ylabel() == "cosine(GTP, backprop)"


def test_cosine_grid_plots_every_start_layer_and_number_of_steps():
    taus = np.array([0.1, 1.0, 10.0])
    rng = np.random.default_rng(0)
    grids = {"zero": rng.random((2, 3, 3)), "activation": rng.random((2, 3, 3))}
    fig = ft.cosine_grid(taus, [1, 5], grids)
    axes = np.array(fig.axes).reshape(2, 2)
    for r, start in enumerate(grids):
        for l in range(2):
            ax = axes[r, l]
            assert ax.get_title() == f"$W_{l}$, {start} start" and ax.get_ylim() == (-1.05, 1.05)
            assert [ln.get_label() for ln in ax.lines] == ["1 step", "5 steps"]
            for s, ln in enumerate(ax.lines):
                np.testing.assert_array_equal(ln.get_xdata(), taus)
                np.testing.assert_array_equal(ln.get_ydata(), grids[start][s, :, l])


def test_inversion_landscape_plots_the_maths_of_appendix_c():
    from gtp.maths import inversion
    w2, t2, y0 = np.array([[1.5, -2.0]]), np.array([0.7]), np.array([0.3, 0.6])
    fig = ft.inversion_landscape(w2, y0, t2, tau=2.0, steps=12, t_max=50.0, iterations=4)
    lines = {ln.get_label(): ln for ln in fig.axes[0].lines}
    ode = dynamics.target_ode(w2, y0, t2, np.linspace(0, 50.0, 200))
    np.testing.assert_allclose(np.column_stack(lines["exact ODE path (eq. 3)"].get_data()), ode)
    near = inversion.nearest_preimage(w2, y0, t2)
    np.testing.assert_allclose(np.ravel(lines["nearest preimage"].get_data()), near)
    np.testing.assert_allclose(np.ravel(lines["least-norm preimage"].get_data()), inversion.logit_least_squares(w2, t2))
    it = inversion.appendix_c_iterate(w2, t2, y0, 4)
    np.testing.assert_allclose(np.column_stack(lines["eq. 37 iterates"].get_data()), it)
    eu = np.array(gtp_euler(w2, y0, t2, 2.0, 12))
    np.testing.assert_allclose(np.column_stack(lines["Euler targets, $\\tau$ = 2"].get_data()), eu)
    xs, ys = lines["exact preimages $W y = f^{-1}(\\hat y)$"].get_data()
    np.testing.assert_allclose(w2[0, 0] * xs + w2[0, 1] * ys, np.log(0.7 / 0.3))     # W y = logit(0.7)
    np.testing.assert_allclose(np.ravel(lines["forward activation $y_l$"].get_data()), y0)


def gtp_euler(w, y0, t, tau, steps):
    from gtp.maths.targets import euler_target
    return euler_target(w, y0, t, "sigmoid", tau, steps, "activation", trajectory=True)


def test_overdetermined_marks_each_inversion_at_its_value():
    from gtp.maths import inversion
    w, y0, t = np.array([[1.5], [-2.0]]), np.array([0.3]), np.array([0.7, 0.6])
    ax = ft.overdetermined(w, y0, t, t_max=200.0).axes[0]
    per = inversion.per_neuron_inversions(w, t, y0)[:, 0]
    want = {"neuron 1 alone (eq. 35)": per[0], "neuron 2 alone (eq. 35)": per[1],
            "their average (eq. 36)": per.mean(),
            "logit least squares": inversion.logit_least_squares(w, t)[0],
            "ODE limit": inversion.ode_limit(w, y0, t, 200.0)[0]}
    marks = {ln.get_label().rsplit(":", 1)[0]: ln for ln in ax.lines[1:]}
    assert set(marks) == set(want)
    for name, v in want.items():
        assert marks[name].get_xdata()[0] == pytest.approx(v) and marks[name].get_label() == f"{name}: {v:.3f}"
    cost = ax.lines[0]
    np.testing.assert_allclose(cost.get_ydata(), 0.5 * ((t - 1 / (1 + np.exp(-np.outer(cost.get_xdata(), w[:, 0]))))
                                                        ** 2).sum(1))


def test_inversion_iterations_plots_the_distances():
    from gtp.maths import inversion
    rng = np.random.default_rng(1)
    w = rng.normal(size=(3, 8)) / 2
    t, y0 = 1 / (1 + np.exp(-w @ rng.random(8))), rng.random(8)
    ax = ft.inversion_iterations(w, y0, t, tau=1.0, iterations=10).axes[0]
    star = inversion.nearest_preimage(w, y0, t)
    d37, deul = ax.lines
    np.testing.assert_array_equal(d37.get_xdata(), np.arange(11))
    np.testing.assert_allclose(d37.get_ydata(), np.linalg.norm(inversion.appendix_c_iterate(w, t, y0, 10) - star, axis=1))
    np.testing.assert_allclose(deul.get_ydata(), np.linalg.norm(np.array(gtp_euler(w, y0, t, 1.0, 10)) - star, axis=1))
    assert deul.get_label() == "Euler on eq. 3, $\\tau$ = 1" and ax.get_yscale() == "log"


def test_cosine_bars_show_the_cosines_and_mark_divergence():
    bars = ft.CosineBarsFigure(np.array([0.25, -0.5, 1.0]), "t")
    assert [b.get_height() for b in bars.bars] == [0.25, -0.5, 1.0]
    assert [t.get_text() for t in bars.labels] == ["+0.250", "-0.500", "+1.000"]
    bars.update(np.array([np.nan, 0.75, 1.0]), "u")
    assert [b.get_height() for b in bars.bars] == [0.0, 0.75, 1.0]
    assert [t.get_text() for t in bars.labels] == ["diverged", "+0.750", "+1.000"] and bars.title.get_text() == "u"
