"""The part "GTP among its relatives": its short runs (gtp.experiments.relatives_angles), figures
(gtp.book.figures_relatives), live panel (gtp.book.panels_relatives) and its static twin, and the
feedback-alignment exercise's checker."""
import json

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_panel_widgets import in_two_threads, is_blank, record_images  # noqa: E402
from test_training_widgets import synthetic  # noqa: E402

from gtp.book import figures_relatives as F
from gtp.book import panels_relatives as W
from gtp.book import twin_specs, twins
from gtp.book.exercises import check_fa_delta  # noqa: E402
from gtp.book.figure_style import png_bytes
from gtp.engine.rules import get_rule  # noqa: E402
from gtp.experiments import relatives_angles as RR

DATA = synthetic(n_train=300, n_val=100, n_test=100)


def small_loader(_dataset):
    return DATA


def test_config_is_the_panel_default_and_reads_each_rules_hyperparameters():
    cfg = RR.config()
    assert (cfg.rule, cfg.eta, cfg.sizes, cfg.acts) == ("fa", 0.1, (784, 100, 100, 10), "sigmoid")
    assert W.make_config(W.DEFAULTS).to_dict() == cfg.to_dict()
    dtp = RR.config("dtp", 0.03, eta_hat=1.0)
    defaults = dict(get_rule("dtp").defaults)          # the registry's, where not given
    assert (dtp.eta_hat, dtp.sigma, dtp.eta_inv) == (1.0, defaults["sigma"], defaults["eta_inv"])
    assert RR.config("fa", 0.03, eta_hat=1.0).eta_hat is None       # FA does not read it
    with pytest.raises(ValueError, match="rule"):
        RR.config("nonsense")
    # the grid covers the twin: every rule the panel offers at every eta, the default included
    assert {(r, e) for _, r in W.RULE_OPTIONS for e in RR.ETAS} == set(RR.GRID)
    assert W.DEFAULTS["eta"] in RR.ETAS


def test_extra_parameters_count_the_registry_state():
    sizes = (784, 500, 500, 10)
    assert RR.extra_parameters("fa", sizes) == {"fixed": 500 * 500 + 500 * 10, "learned": 0,
                                                "arrays": {"B1": (500, 500), "B2": (500, 10)}}
    assert RR.extra_parameters("dfa", sizes)["fixed"] == 2 * 500 * 10
    for rule in ("dtp", "tp"):
        assert RR.extra_parameters(rule, sizes)["learned"] == 500 * 500 + 500
    assert RR.extra_parameters("gtp", sizes) == {"fixed": 0, "learned": 0, "arrays": {}}
    assert RR.extra_parameters("dtp", (784, 100, 10))["learned"] == 0   # one hidden layer


def test_feedback_alignment_is_90_degrees_for_random_and_0_for_equal():
    rng = np.random.default_rng(0)
    Wt = [rng.normal(size=(50, 40)), rng.normal(size=(30, 50)), rng.normal(size=(10, 30))]
    state = {"B1": rng.normal(size=(50, 30)), "B2": rng.normal(size=(30, 10))}
    a = RR.feedback_alignment(Wt, state)
    assert set(a) == {1, 2} and all(60 < v < 120 for v in a.values())
    same = RR.feedback_alignment(Wt, {"B1": Wt[1].T, "B2": 3 * Wt[2].T})
    assert all(v < 1e-6 for v in same.values())


def test_run_grid_writes_atomic_records_with_provenance_and_skips_finished(tmp_path):
    grid = (("fa", 0.1), ("dtp", 0.1))
    logged = []
    small = dict(n_train=300, epochs=2, n_eval_train=100, n_probe=50)
    orig = dict(RR.PANEL)
    RR.PANEL.update(small)
    try:
        assert RR.run_grid(tmp_path, grid, data=DATA, log=logged.append) == 2
        assert RR.run_grid(tmp_path, grid, data=DATA, log=logged.append) == 0   # resumable
    finally:
        RR.PANEL.clear()
        RR.PANEL.update(orig)
    rec = RR.load("dtp", 0.1, tmp_path)
    assert rec["status"] == "finished" and "git_commit" in rec["provenance"]
    assert "weights" not in rec and "state" not in rec
    c = RR.curves(rec)
    assert c["epoch"] == [0, 1, 2] and c["angle"].shape == (3, 3)
    assert np.all(c["angle"][:, -1] == 0)               # every rule: backprop's output update
    assert not list(tmp_path.glob(".tmp-*"))
    with pytest.raises(FileNotFoundError, match="relatives-angles"):
        RR.load("tp", 0.3, tmp_path)


def test_committed_runs_cover_the_grid():
    for rule, eta in RR.GRID:
        rec = RR.load(rule, eta)
        assert rec["config"] == json.loads(json.dumps(RR.config(rule, eta).to_dict()))
        assert rec["status"] in ("finished", "diverged")


def test_figures_draw_angles_and_curves():
    rec = RR.load("fa", 0.1)
    fig = F.run_figure(rec["epochs"], title="t")
    assert not is_blank(png_bytes(fig))
    lines = [ln for ln in fig.axes[1].lines if ln.get_label().startswith("$W_")]
    L = len(rec["epochs"][-1]["angle"])
    assert [ln.get_label() for ln in lines] == [f"$W_{{{l}}}$" for l in range(L - 1)] + [f"$W_{{{L - 1}}}$ (output: 0)"]
    for l, ln in enumerate(lines):                         # every defined angle, in order
        assert list(ln.get_ydata()) == [e["angle"][l] for e in rec["epochs"] if e.get("angle") and e["angle"][l] is not None]
    # an undefined angle (None) leaves a gap instead of breaking the line
    gappy = [dict(e, angle=[None if (e["epoch"] == 1 and l == 0) else a for l, a in enumerate(e["angle"])])
             for e in rec["epochs"] if e.get("angle")]
    first = next(ln for ln in F.run_figure(gappy).axes[1].lines if ln.get_label() == "$W_{0}$")
    assert len(first.get_ydata()) == len(gappy) - 1
    runs = {r: RR.curves(RR.load(r, 0.1)) for r in ("fa", "dfa", "backprop")}
    fig = F.angle_overview(runs)
    assert len(fig.axes) == 2                              # W_0 and W_1
    assert [ln.get_color() for ln in fig.axes[0].lines[:3]] == [get_rule(r).colour for r in runs]


def test_twin_default_frame_is_the_live_panels_figure():
    panel = W.RelativesPanel(threaded=False)
    spec = twin_specs.relatives_spec(panel)
    assert spec.defaults == {"rule": "fa", "eta": 0.1}
    fr = spec.frame(spec.defaults)
    panel.start()                                          # trains the default run live
    assert panel.record["status"] == "finished"
    assert np.array_equal(twins.decode_pixels(fr.png), twins.decode_pixels(panel.output.value))
    last = panel.record["epochs"][-1]
    assert f"{100 * last['val_acc']:.2f}%" in fr.key
    other = spec.frame({"rule": "dtp", "eta": 0.1})
    assert not np.array_equal(twins.decode_pixels(other.png), twins.decode_pixels(fr.png))


def test_panel_trains_enables_its_sliders_and_stops():
    p = W.RelativesPanel(loader=small_loader, epochs=2)
    assert not p.eta.disabled and p.tau.disabled and p.eta_hat.disabled
    p.rule.value = "dtp"
    assert p.tau.disabled and not p.eta_hat.disabled and not p.sigma.disabled
    p.rule.value = "gtp"
    assert not p.tau.disabled and p.eta_hat.disabled
    p.rule.value = "dfa"
    p.start_button.click()
    p.eta.value = 0.3                                       # applies to the next run
    assert p.join(120)
    assert p.record["config"]["eta"] == 0.1 and p.record["config"]["rule"] == "dfa"
    assert "validation accuracy" in p.status.value and len(p.epochs) == 3
    assert not is_blank(p.output.value)
    assert "η = 0.3" in p.note.value
    assert p.stop() is False


def test_relatives_panel_from_two_threads():
    p = W.RelativesPanel(loader=small_loader, epochs=1)
    p.config = W.make_config(p.settings())
    shown = record_images(p.output)
    entries = [{"epoch": e, "examples": 100 * e, "train_acc": 0.1 + 0.05 * e,
                "val_acc": 0.1 + 0.05 * e, "angle": [80 - 5 * e, 60 - 3 * e, 0.0]}
               for e in range(10)]

    def epoch(i):
        p.epochs.append(entries[i])
        p.redraw()

    in_two_threads(epoch, lambda i: setattr(p.eta, "value", RR.ETAS[i % len(RR.ETAS)]), 10)
    p.eta.value = 0.03
    assert shown and not any(is_blank(png) for png in shown)
    assert p.error is None and len(p.epochs) == 10 and p.output.value == shown[-1]
    assert "η = 0.03" in p.note.value


def test_fa_delta_checker_accepts_the_rule_and_names_mistakes():
    from gtp.maths.activations import sigmoid, sigmoid_prime
    assert check_fa_delta(lambda B, d, z: (B @ d) * sigmoid_prime(z)).passed
    fb = check_fa_delta(lambda B, d, z: B @ d)
    assert not fb.passed and "f'(z) is missing" in " ".join(fb.messages)
    fb = check_fa_delta(lambda B, d, z: (B @ d) * sigmoid_prime(sigmoid(z)))
    assert not fb.passed and "pre-activation" in " ".join(fb.messages)
    fb = check_fa_delta(lambda B, d, z: -(B @ d) * sigmoid_prime(z))
    assert not fb.passed and "sign" in " ".join(fb.messages)
    assert "expected a function" in str(check_fa_delta(3))



def test_cli_relatives_angles_skips_finished_runs(tmp_path, capsys):
    import shutil

    from gtp.cli import main
    (tmp_path / "relatives" / "angles").mkdir(parents=True)
    for rule, eta in RR.GRID:
        shutil.copy(RR.run_path(rule, eta), tmp_path / "relatives" / "angles")
    assert main(["run", "relatives-angles", "--root", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"relatives-angles: {len(RR.GRID)} of {len(RR.GRID)} jobs finished; ready now: 0" in out
