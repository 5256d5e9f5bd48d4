"""The tuning lesson's numbers (gtp.reports.horizon_lesson): the two horizons, the leaders at
each, the noise they are judged against, and v2's early peaks, on synthetic result files with
known answers and on the committed ones."""
import json
import os

import numpy as np
import pytest

from gtp.engine import records as R
from gtp.experiments import protocol_v3 as P3
from gtp.experiments.search_design import SEARCH
from gtp.maths import paper
from gtp.reports import horizon_lesson as H

ROW = paper.rows_of((1,))[0]                              # MNIST 784-100-10: 50,000 per epoch
PER_EPOCH = 50_000


def _rec(vals, seed=0, choice=None):
    """A finished record whose validation accuracy after epoch k is ``vals[k-1]`` (fractions)."""
    eps = [{"epoch": 0, "examples": 0, "val_acc": 0.1}]
    eps += [{"epoch": k, "examples": k * PER_EPOCH, "val_acc": v} for k, v in enumerate(vals, 1)]
    best = int(np.argmax(vals))
    return {"status": "finished", "config": {"seed": seed}, "epochs": eps, "choice": choice,
            "selection": {"best_epoch": best + 1, "val_acc_at_best": vals[best],
                          "test_acc_at_best": vals[best] - 0.01, "test_acc_last": vals[-1] - 0.01}}


def _write(path, rec):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(rec, f)


def _setup(root, curves, pick, v2_trial=(2, 1), finals=None):
    """v3 candidates with these validation curves, v3's choice ``pick``, v2's seed-0 final
    run naming search trial ``v2_trial``, and v3's final runs' best validation per seed."""
    plan = P3.ProtocolV3([ROW], root=str(root), rules=("gtp",), interventions=False)
    cands = []
    for k, vals in enumerate(curves):
        search = k < 2
        cands.append({"source": "search" if search else "published", "label": f"c{k}",
                      "params": {}, "round": 2 if search else None, "trial": k + 1 if search else None,
                      "val_acc": max(vals), "best_epoch": int(np.argmax(vals)) + 1})
        _write(plan.candidate_path(ROW, "gtp", k), _rec(vals))
    _write(plan.choice_path(ROW, "gtp"), {"status": "finished", "candidates": cands, "pick": pick})
    _write(plan.v2.final_path(ROW, "gtp", 0), _rec(curves[0], choice={"round": v2_trial[0], "trial": v2_trial[1]}))
    for seed, best in enumerate(finals or []):
        _write(plan.final_path(ROW, "gtp", seed), _rec([best - 0.01, best], seed=seed))
    return plan


def test_the_search_horizon_is_its_last_rung():
    assert H.search_horizon() == SEARCH["n_train"] * SEARCH["rung_epochs"][-1] == 80_000


def test_leaders_at_both_horizons_and_the_noise(tmp_path):
    fast = [0.95, 0.96, 0.955, 0.95]            # leads at epoch 2 (the first past 80,000), peaks early
    slow = [0.90, 0.94, 0.965, 0.975]           # leads at the end
    diverged = [0.10]                           # ended after one epoch
    _setup(tmp_path, [fast, slow, diverged, [0.9, 0.93]], pick=1,
           finals=[0.975, 0.973, 0.971])        # seeds' std 0.2 points
    d = H.candidate_curves(ROW, "gtp", root=str(tmp_path))
    assert d["early_epoch"] == 2 and d["horizon"] == 80_000
    assert d["early_leader"] == 0 and d["final_leader"] == 1
    assert [c["v2_pick"] for c in d["candidates"]] == [True, False, False, False]
    assert np.isnan(d["candidates"][2]["early_val"])             # diverged before the horizon
    assert d["candidates"][3]["early_val"] == pytest.approx(93.0)  # ended just past it
    assert d["candidates"][0]["early_val"] == pytest.approx(96.0)
    assert d["margin"] == pytest.approx(97.5 - 96.0)
    # two single runs of one setting: sqrt(2) x the seeds' std (0.2 points)
    assert d["tol"] == pytest.approx(np.sqrt(2) * 0.2)
    assert d["clear"] is True
    np.testing.assert_allclose(d["candidates"][1]["examples"], [50_000, 100_000, 150_000, 200_000])
    # a later horizon: the slow setting already leads after 3 epochs
    later = H.candidate_curves(ROW, "gtp", root=str(tmp_path), horizon=3 * PER_EPOCH)
    assert later["early_epoch"] == 3 and later["early_leader"] == 1
    assert "| MNIST | 784-100-10 | gtp | c0 (v2's pick): 96.00 % (epoch 2) | c1: 97.50 % (epoch 4) | 1.50 (± 0.28, **clear**) |" \
        in H.horizon_markdown([d])


def test_a_change_within_noise_and_one_still_waiting(tmp_path):
    a, b = [0.95, 0.961, 0.96], [0.94, 0.96, 0.962]
    _setup(tmp_path, [a, b, [0.9] * 3, [0.9] * 3], pick=1, finals=[0.962, 0.950, 0.940])
    d = H.candidate_curves(ROW, "gtp", root=str(tmp_path))
    assert d["early_leader"] == 0 and d["final_leader"] == 1
    assert d["margin"] == pytest.approx(0.1) and d["clear"] is False
    assert "within noise" in H.horizon_markdown([d])
    os.remove(P3.ProtocolV3([ROW], root=str(tmp_path)).final_path(ROW, "gtp", 2))
    d = H.candidate_curves(ROW, "gtp", root=str(tmp_path))
    assert d["tol"] is None and d["clear"] is None
    assert "final seeds running" in H.horizon_markdown([d])


def test_no_choice_yet_is_none(tmp_path):
    assert H.candidate_curves(ROW, "gtp", root=str(tmp_path)) is None
    assert H.horizon_rows(root=str(tmp_path)) == []


def test_peak_and_fall():
    run = {"val": np.array([90.0, 95.0, 94.0, 93.5])}
    assert H.peak_and_fall(run) == (2, pytest.approx(1.5))


@pytest.mark.skipif(not os.path.isdir(os.path.join(R.RESULTS_ROOT, "v2", "final")), reason="no v2 results")
def test_v2_picks_that_peak_early_in_the_committed_results():
    """The lesson's example: v2's GTP pick on MNIST 784-500-500-500-10 peaks at epochs 6, 5, 7
    (seeds 0, 1, 2) and loses 0.8 points by epoch 20; its backprop pick does not."""
    rows = {d["row"].net + d["row"].dataset: d for d in H.peak_rows()}
    assert len(rows) == 16
    d = rows["784-500-500-500-10mnist"]
    assert d["gtp"]["peak"] == [6, 5, 7] and d["gtp"]["seeds"] == [0, 1, 2]
    assert np.mean(d["gtp"]["fall"]) == pytest.approx(0.80, abs=0.005)
    assert min(d["backprop"]["peak"]) >= 14
    table = H.peak_markdown(list(rows.values()))
    assert "| MNIST | 784-500-500-500-10 | 6, 5, 7; 0.80 |" in table


def test_figures_draw_the_curves_they_are_given(tmp_path):
    from gtp.book import figures_horizon as F
    fast, slow = [0.95, 0.96, 0.955, 0.95], [0.90, 0.94, 0.965, 0.975]
    _setup(tmp_path, [fast, slow, [0.10], [0.9, 0.93]], pick=1, finals=[0.975, 0.973, 0.971])
    d = H.candidate_curves(ROW, "gtp", root=str(tmp_path))
    ax = F.candidates_figure(d).axes[0]
    assert ax.get_title() == "GTP, MNIST 784-100-10"
    curves = [ln for ln in ax.lines if ln.get_label() and not ln.get_label().startswith("_")]
    assert [ln.get_label() for ln in curves] == [
        "c0 (v2's pick)", "c1 ← v3's pick", "c2 (best 10.0 %, below the axis)", "c3"]
    np.testing.assert_allclose(curves[1].get_ydata(), [90, 94, 96.5, 97.5])
    np.testing.assert_allclose(curves[1].get_xdata(), [50_000, 100_000, 150_000, 200_000])
    assert ax.get_xscale() == "log"
    assert any(np.allclose(ln.get_xdata(), 80_000) for ln in ax.lines)         # the search's horizon
    stars = [ln for ln in ax.lines if ln.get_marker() == "*"]
    assert sorted((float(s.get_xdata()[0]), float(s.get_ydata()[0])) for s in stars) == [
        (100_000, 93.0), (100_000, 96.0), (200_000, 97.5)]                      # best epochs in view
    lo, hi = ax.get_ylim()
    assert 80 <= lo <= 90 and hi >= 97.5                                        # the diverged run is off the axis
    f = H.final_curves(ROW, "gtp", root=str(tmp_path))
    assert [r["seed"] for r in f["v3"]] == [0, 1, 2] and [r["seed"] for r in f["v2"]] == [0]
    ax = F.protocols_figure(f).axes[0]
    labels = [ln.get_label() for ln in ax.lines if not ln.get_label().startswith("_")]
    assert labels == ["v2's pick (seed 0)", "v3's pick (seeds 0, 1, 2)"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [95, 96, 95.5, 95])


def test_peaks_figure_stars_each_peak_in_the_rules_colour():
    from matplotlib.colors import to_hex

    from gtp.book import figures_horizon as F
    from gtp.engine.rules import get_rule
    runs = [{"val": np.array([90.0, 96.0, 94.0, 80.0])}, {"val": np.array([91.0, 92.0, 97.0, 95.0])}]
    fig = F.peaks_figure([("a", runs, "gtp"), ("b", runs[:1], "backprop")])
    ax, bx = fig.axes
    stars = [(float(ln.get_xdata()[0]), float(ln.get_ydata()[0])) for ln in ax.lines if ln.get_marker() == "*"]
    assert stars == [(2.0, 96.0), (3.0, 97.0)]
    assert {to_hex(ln.get_color()) for ln in ax.lines} == {to_hex(get_rule("gtp").colour)}
    assert {to_hex(ln.get_color()) for ln in bx.lines} == {to_hex(get_rule("backprop").colour)}
    assert ax.get_ylim()[0] <= 80 and ax.get_ylim()[1] >= 97          # the whole fall in view


def test_largest_change_and_early_peaks():
    same = {"early_leader": 1, "final_leader": 1, "margin": 0.0}
    small = {"early_leader": 0, "final_leader": 1, "margin": 0.2}
    big = {"early_leader": 2, "final_leader": 1, "margin": 0.9}
    assert H.largest_change([same, small, big]) is big
    assert H.largest_change([same]) is None and H.largest_change([]) is None
    rows = [{"row": "a", "gtp": {"peak": [5, 6, 10]}, "backprop": {"peak": [3, 11, 4]}},
            {"row": "b", "gtp": {"peak": [19, 20, 18]}, "backprop": {"peak": [1, 2, 2]}}]
    assert H.early_peaks(rows) == [("a", "gtp"), ("b", "backprop")]          # within 10 of 20 epochs
    assert H.early_peaks(rows, within=11) == [("a", "gtp"), ("a", "backprop"), ("b", "backprop")]


def test_first_agreement():
    def d(curves, pick):
        return {"candidates": [{"val": np.array(v, dtype=float)} for v in curves], "final_leader": pick}
    assert H.first_agreement(d([[95, 96, 95], [90, 95, 97]], 1)) == 3
    assert H.first_agreement(d([[95, 96, 95], [90, 95, 97]], 0)) == 1
    assert H.first_agreement(d([[10], [90, 91]], 1)) == 1                   # a diverged run never leads
    assert H.first_agreement(d([[95, np.nan], [90, 91]], 1)) == 2
    assert H.first_agreement(d([[95, 96], [90, 95.5]], 1)) is None
