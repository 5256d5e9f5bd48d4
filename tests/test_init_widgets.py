"""The Initialisation panel: driven like a reader drives it (set .value), checked on what
it shows; it must never raise."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from gtp.book import panels_initialisation as w
from gtp.maths import initialisation as init


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(0)
    fake = (rng.random((400, 64)) < 0.15) * rng.random((400, 64))   # a small sparse "data set"
    return w.InitialisationPanel({"toy images": fake}, fan_in=60, depth=3)


def test_sample_inputs():
    rng = np.random.default_rng(1)
    for name, mean, var in (("uniform [0, 1]", 1 / 2, 1 / 12), ("binary {0, 1}", 1 / 2, 1 / 4),
                            ("sparse (80% zeros)", 0.1, 0.2 / 3 - 0.01)):
        X = w.sample_inputs(name, 400, 100, rng)
        assert X.shape == (400, 100) and X.min() >= 0 and X.max() <= 1
        assert X.mean() == pytest.approx(mean, abs=0.01) and X.var() == pytest.approx(var, abs=0.01)
    with pytest.raises(ValueError, match="inputs: expected one of"):
        w.sample_inputs("gaussian", 3, 3, rng)


def test_panel_statistics_agree_with_the_library():
    r = w.panel_statistics(100, 2, "uniform [0, 1]", "paper-exact", replicates=4, per_replicate=64)
    assert r["sizes"] == [100, 100, 100, 10]
    assert r["variances"] == pytest.approx(init.scheme_variances(r["sizes"], "paper-exact"))
    assert r["pred"]["var_y"][:2] == pytest.approx([0.05, 0.05], rel=0.02)   # ||x||^2 spread
    assert len(r["ys"]) == 2 and r["ys"][0].shape == (64, 100)
    assert np.all(np.abs(r["mc"]["var_y"][:2] - 0.05) < 3 * r["mc"]["var_y_ci"][:2] + 0.005)


def test_initial_state_shows_histograms_and_a_table(panel):
    assert panel.result is not None
    assert panel.output.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert panel.table.value.count("<tr>") == 1 + 3          # header + one row per hidden layer
    assert "60-60-60-60-10" in panel.message.value


def test_controls_update_the_table(panel):
    panel.depth.value = 5
    assert panel.table.value.count("<tr>") == 1 + 5 and panel.result["sizes"][1:-1] == [60] * 5
    before = panel.result["mc"]["var_y"][0]
    panel.scheme.value = "normal"                 # std 0.01: almost no variance
    assert panel.result["mc"]["var_y"][0] < before / 10
    panel.scheme.value = "paper"
    panel.inputs.value = "toy images"             # first-layer fan-in is the data's 64
    assert panel.result["sizes"][0] == 64
    plain = panel.result["variances"][0]
    panel.data_aware.value = True                 # sparse inputs: larger first-layer variance
    assert panel.result["data_aware"] and panel.result["variances"][0] > 2 * plain
    panel.acts.value = "paper"
    assert "n/a (ReLU)" in panel.table.value
    panel.fan_in.value = 10
    assert panel.result["sizes"][1] == 10
    panel.depth.value = 1
    assert panel.table.value.count("<tr>") == 2


def test_every_setting_computes_at_the_extremes(panel):
    """Every input x scheme x activation at the smallest fan-in and the largest depth gives
    finite statistics (computed directly: each one is what a redraw would show)."""
    for inputs in panel.inputs.options:
        for scheme in w.SCHEMES:
            for acts in ("sigmoid", "paper"):
                for aware in (False, True):
                    r = w.panel_statistics(panel.fan_in.min, panel.depth.max, inputs, scheme,
                                           aware, acts, panel.datasets)
                    for k in ("var_z", "var_y", "mean_y"):
                        assert np.all(np.isfinite(r["mc"][k])), (inputs, scheme, acts, k)
                        assert np.all(np.isfinite(r["pred"][k])), (inputs, scheme, acts, k)


def test_largest_network_draws(panel):
    panel.fan_in.value, panel.depth.value = panel.fan_in.max, panel.depth.max
    assert panel.result is not None and panel.result["sizes"][1] == panel.fan_in.max
    assert panel.table.value.count("<tr>") == 1 + panel.depth.max


def test_failure_is_reported_not_raised(panel, monkeypatch):
    def broken(*args, **kwargs):
        raise FloatingPointError("overflow in the forward pass")
    monkeypatch.setattr(w, "panel_statistics", broken)
    panel.depth.value = 2 if panel.depth.value != 2 else 3
    assert panel.result is None and "overflow in the forward pass" in panel.message.value
    assert panel.table.value == ""


def test_builder_returns_the_panel():
    p = w.initialisation_panel(fan_in=20, depth=1)
    assert isinstance(p, w.InitialisationPanel) and p.widget.children
    assert "application/vnd.jupyter.widget-view+json" in p._repr_mimebundle_()
