"""gtp.book.panels_theory: panels driven the way a reader drives them (set .value, .click())."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

matplotlib.use("Agg")
from gtp.book import panels_theory as wt
from gtp.maths import dynamics


@pytest.fixture
def panel():
    p = wt.target_convergence_panel()
    yield p
    plt.close("all")


def shows(panel, w, label, tau, steps, start):
    """The panel's result, figure and readout are those of ``euler_vs_exact`` at this setting."""
    r = dynamics.euler_vs_exact(w=w, y_forward=panel.y_forward, label=label, tau=tau, steps=steps, start=start)
    np.testing.assert_array_equal(panel.result["path"], r["path"])
    f = panel._figure
    np.testing.assert_array_equal(f.euler.get_ydata(), r["path"][r["finite"]])
    np.testing.assert_array_equal(f.euler.get_xdata(), r["t"][r["finite"]])
    np.testing.assert_array_equal(f.exact.get_ydata(), r["exact"])
    assert list(f.minimiser.get_ydata()) == [r["y_star"]] * 2
    assert (f"tau / limit = {tau / r['tau_limit']:.2f} (limit 2 / C''(y*) = {r['tau_limit']:.3g}); "
            f"minimiser y* = {r['y_star']:.4f}; last target = {r['path'][-1]:.4g}: <b>{r['status']}</b>"
            ) == panel.message.value
    return r


def test_default_panel_shows_a_converged_path(panel):
    assert panel.result["status"] == "converged"
    assert "converged" in panel.message.value
    assert panel.output.value[:8] == b"\x89PNG\r\n\x1a\n"   # a figure is shown
    r = shows(panel, 2.0, 0.8, 5.0, 25, "activation")
    assert r["path"][-1] == pytest.approx(r["y_star"], abs=1e-6)


def test_crossing_the_stability_limit_with_the_buttons(panel):
    panel.steps.value = 80
    panel.above_limit.click()
    limit = dynamics.two_neuron_stability_limit(panel.w.value, panel.label.value)
    # the slider's grid value nearest to 1.2 x limit (100 per decade: within 1.2 %)
    assert panel.tau.value in panel.tau._options_values
    assert panel.tau.value == pytest.approx(1.2 * limit, rel=0.012)
    assert panel.result["status"] == "oscillating"
    shows(panel, panel.w.value, panel.label.value, panel.tau.value, 80, "activation")
    panel.below_limit.click()
    assert panel.result["status"] == "converged"
    assert panel.message.value.startswith(f"tau / limit = {panel.tau.value / limit:.2f}")
    assert panel.tau.value / limit == pytest.approx(0.5, rel=0.012)


def test_every_control_redraws_and_never_raises(panel):
    rng = np.random.default_rng(0)
    for _ in range(6):                               # rapid random moves
        panel.tau.value = 10 ** rng.uniform(np.log10(panel.tau.min), np.log10(panel.tau.max))
        panel.steps.value = int(rng.integers(1, 201))
        panel.start.value = str(rng.choice(["activation", "zero"]))
        panel.label.value = float(rng.uniform(0.02, 0.98))
        panel.w.value = float(rng.choice([-6.0, -0.1, 0.0, 0.1, 6.0]))
        shown = len(panel.output.value) > 0
        if panel.w.value == 0:
            assert panel.result is None and "Cannot draw" in panel.message.value and not shown
        else:
            assert panel.result["status"] in dynamics.STATUSES and shown
            shows(panel, panel.w.value, panel.label.value, panel.tau.value, panel.steps.value, panel.start.value)
    assert len(plt.get_fignums()) == 0               # no figure left open behind the panel


def test_weight_zero_shows_a_message_then_recovers(panel):
    panel.w.value = 0.0
    assert "w: expected a finite non-zero weight" in panel.message.value
    panel.above_limit.click()                         # must not raise either
    panel.w.value = 1.5
    assert panel.result is not None and panel.result["w"] == 1.5


def test_cosine_panel_follows_the_decomposition():
    from gtp.maths import decomposition
    p = wt.cosine_panel(sizes=(20, 8, 6, 3), n_examples=3, tau=1e3, steps=1, start="zero")
    assert np.all(p.cosines > 0.99)                          # huge tau, one step: backprop
    p.tau.value = 0.1
    want = decomposition.cosine_grid(p.W, p.X, p.labels, [0.1], [1], "zero")[0, 0]
    np.testing.assert_array_equal(p.cosines, want)
    assert [b.get_height() for b in p._figure.bars] == list(want)          # the bars drawn
    assert p.message.value == ("mean cosine with backprop per weight matrix: "
                               + ", ".join(f"W_{l}: {c:+.3f}" for l, c in enumerate(want)))
    assert p._figure.title.get_text() == "tau = 0.1, 1 step, zero start"
    assert p.cosines[0] < 0.5 and p.cosines[-1] == pytest.approx(1, abs=1e-12)
    p.start.value = "activation"
    np.testing.assert_allclose(p.cosines, 1, atol=1e-10)     # one activation step = backprop
    p.steps.value = 20
    p.tau.value = 1e3                                        # far above the stability limit
    with np.errstate(all="ignore"):
        want = decomposition.cosine_grid(p.W, p.X, p.labels, [1e3], [20], "activation")[0, 0]
    np.testing.assert_array_equal(p.cosines, want)
    assert p._figure.title.get_text() == "tau = 1e+03, 20 steps, activation start"
    assert len(p.cosines) == 3 and "W_0" in p.message.value
    p.start.value, p.tau.value, p.steps.value = "zero", 1.0, 3              # where the steps matter
    three, one = (decomposition.cosine_grid(p.W, p.X, p.labels, [1.0], [s], "zero")[0, 0] for s in (3, 1))
    np.testing.assert_array_equal(p.cosines, three)
    assert abs(three[0] - one[0]) > 0.2                                      # 0.43 against 0.13
    assert p.output.value[:4] == b"\x89PNG"
    assert len(plt.get_fignums()) == 0
    plt.close("all")
