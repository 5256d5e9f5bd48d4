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


def test_default_panel_shows_a_converged_path(panel):
    assert panel.result["status"] == "converged"
    assert "converged" in panel.message.value
    assert panel.output.value[:8] == b"\x89PNG\r\n\x1a\n"   # a figure is shown


def test_crossing_the_stability_limit_with_the_buttons(panel):
    panel.steps.value = 80
    panel.above_limit.click()
    limit = dynamics.two_neuron_stability_limit(panel.w.value, panel.label.value)
    # the slider's grid value nearest to 1.2 x limit (100 per decade: within 1.2 %)
    assert panel.tau.value in panel.tau._options_values
    assert panel.tau.value == pytest.approx(1.2 * limit, rel=0.012)
    assert panel.result["status"] == "oscillating"
    panel.below_limit.click()
    assert panel.result["status"] == "converged"


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
    assert len(plt.get_fignums()) == 0               # no figure left open behind the panel


def test_weight_zero_shows_a_message_then_recovers(panel):
    panel.w.value = 0.0
    assert "w: expected a finite non-zero weight" in panel.message.value
    panel.above_limit.click()                         # must not raise either
    panel.w.value = 1.5
    assert panel.result is not None and panel.result["w"] == 1.5


def test_cosine_panel_follows_the_decomposition():
    p = wt.cosine_panel(sizes=(20, 8, 6, 3), n_examples=3, tau=1e3, steps=1, start="zero")
    assert np.all(p.cosines > 0.99)                          # huge tau, one step: backprop
    p.tau.value = 0.1
    assert p.cosines[0] < 0.5 and p.cosines[-1] == pytest.approx(1, abs=1e-12)
    p.start.value = "activation"
    np.testing.assert_allclose(p.cosines, 1, atol=1e-10)     # one activation step = backprop
    p.steps.value = 20
    p.tau.value = 1e3                                        # far above the stability limit
    assert len(p.cosines) == 3 and "W_0" in p.message.value
    assert p.output.value[:4] == b"\x89PNG"
    assert len(plt.get_fignums()) == 0
    plt.close("all")
