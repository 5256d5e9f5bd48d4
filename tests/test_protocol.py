"""Protocol v2 (gtp.experiments.protocol_v2): search space, seeded design, range extension, and the whole
plan on tiny synthetic rows through a real 2-worker LocalCluster."""
import json
import os

import numpy as np
import pytest

from gtp import reports as report
from gtp.cli import main
from gtp.experiments import protocol_v1 as rp
from gtp.experiments import protocol_v2 as P
from gtp.experiments.budget import cost_per_example
from gtp.experiments.dask_runner import run, toy_splits
from gtp.experiments.search_design import _coord, n_train_full

ROWS = [rp.Row(1, "synth", (12, 6, 3), 90.0, 4.0, 0.5),
        rp.Row(1, "synth", (12, 6, 5, 3), 91.0, 2.0, 0.5)]
TINY = {"n_train": 200, "trials": 4, "keep": 2, "rung_epochs": (1, 2)}


def test_layer_etas_undo_the_tau_gain():
    p = {"tau": 50.0, "eta": 0.01, "gain": 1.0, "acts": "paper"}
    e = P.layer_etas("gtp", 4, p)
    # eta_l * tau^(L-1-l) is the same for every layer when the gain is fully undone
    assert np.allclose([e[i] * 50.0 ** (3 - i) for i in range(4)], 0.01, rtol=1e-12)
    assert P.layer_etas("gtp", 4, dict(p, gain=0.0)) == [0.01] * 4
    assert np.allclose(P.layer_etas("backprop", 3, {"eta": 0.1, "k": 2.0}), [0.4, 0.2, 0.1])


def test_design_is_seeded_latin_hypercube_with_anchor():
    row = rp.ROWS[0]
    ranges = P.space(row, "gtp")
    a, b = P.design(row, "gtp", 1, ranges), P.design(row, "gtp", 1, ranges)
    assert a == b and len(a) == P.SEARCH["trials"]
    assert a[0] == {"tau": 400.0, "eta": 0.01, "gain": 0.0, "acts": "paper"}
    n = len(a)
    for name, (lo, hi, log) in ranges.items():      # one point per stratum (anchor aside)
        strata = sorted(int((_coord(p[name], log) - lo) / (hi - lo) * n) for p in a[1:])
        assert len(set(strata)) == n - 1 and all(0 <= s < n for s in strata)
    assert {p["acts"] for p in a} == {"paper", "sigmoid"}
    assert P.design(row, "gtp", 2, ranges, acts="sigmoid", anchor=False)[0]["acts"] == "sigmoid"


def test_winner_at_an_edge_extends_the_range():
    ranges = {"eta": (-2.0, 0.0, True), "gain": (0.0, 1.0, False)}
    new, edges = P.next_ranges(ranges, {"eta": 10 ** -1.95, "gain": 0.5})
    assert edges == ["eta"]
    assert new["eta"][0] < -2.0 and np.isclose(new["eta"][1] - new["eta"][0], 2.0)
    assert np.allclose(new["gain"][:2], (0.25, 0.75))         # interior: refined
    assert P.at_edges(ranges, {"eta": 1.0, "gain": 0.5}) == ["eta"]


def test_still_rising():
    assert P.still_rising([0.5, 0.6, 0.7, 0.71, 0.72, 0.73])
    assert not P.still_rising([0.5, 0.8, 0.79, 0.78, 0.78, 0.77])


def test_budget_is_calibrated_on_the_finished_v2_runs(tmp_path):
    b = P.budget(root=str(tmp_path))                       # no v2 run finished: v1's speed only
    assert 1.0 < b["wall_h"] and b["final_core_s"] > b["search_core_s"]
    assert b["calibration"] is None and b["calibrated_wall_h"] is None
    per = P.throughput()[("mnist", "784-100-10")]
    os.makedirs(tmp_path / "v2" / "final")
    for name, ratio, rule in (("a", 2.0, "gtp"), ("b", 3.0, "backprop"), ("c", 5.0, "fa")):
        rec = {"config": {"dataset": "mnist", "sizes": [784, 100, 10], "rule": rule},
               "data": {"n_train": 1000}, "epochs": [{"epoch": e} for e in range(3)],
               "wall_time": 2 * 1000 * per * ratio * P.RULE_COST[rule]}
        (tmp_path / "v2" / "final" / f"{name}.json").write_text(json.dumps(rec))
    b = P.budget(root=str(tmp_path))
    assert b["calibration"] == pytest.approx({"runs": 3, "median": 3.0, "low": 2.0, "high": 5.0})
    assert b["calibrated_wall_h"] == pytest.approx(3.0 * b["wall_h"])


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """The protocol on two tiny rows, run to the end on a 2-worker LocalCluster."""
    root = tmp_path_factory.mktemp("proto")
    plan = P.Protocol(ROWS, root=str(root), seeds=(0, 1), epochs=3, data=toy_splits, search=TINY)
    stats = run(plan.ready, str(root / "ck"), n_workers=2, log=lambda m: None, progress=False)
    return root, plan, stats


def test_protocol_runs_every_job_with_equal_budgets(finished):
    root, plan, stats = finished
    n_jobs, _ = plan.counts()
    assert stats["failed"] == {} and stats["ran"] == n_jobs
    for row in ROWS:
        sums = [json.load(open(plan.search_path(row, rule))) for rule in P.RULES]
        assert [s["trials"] for s in sums] == [2 * TINY["trials"]] * 2
        for rule, summ in zip(P.RULES, sums):      # the examples both rules really trained on
            trained = 0
            trials = os.path.join(plan.root, "search", "trials")
            for name in os.listdir(trials):
                if name.startswith(f"synth-{row.net}-{rule}-r"):
                    rec = json.load(open(os.path.join(trials, name)))
                    rung = rec["search"]["rung"]
                    before = TINY["rung_epochs"][rung - 1] if rung else 0
                    trained += rec["data"]["n_train"] * (rec["config"]["epochs"] - before)
            assert trained == summ["examples"] == P.search_examples(row, dict(P.SEARCH, **TINY))
        for s in sums:
            rung1 = [t for r in s["rounds"] for t in r["trials"] if t["val_acc_rung1"] is not None]
            assert len(rung1) == 2 * TINY["keep"]
            assert s["choice"]["val_acc"] == max(t["val_acc_rung1"] for t in rung1)
        for rule in P.RULES:
            for seed in (0, 1):
                rec = json.load(open(plan.final_path(row, rule, seed)))
                assert rec["status"] == "finished" and rec["config"]["epochs"] == 3
                assert rec["protocol"] == "v2" and isinstance(rec["still_rising"], bool)
                assert rec["selection"]["test_acc_at_best"] is not None
                assert len(rec["config"]["eta"]) == len(row.sizes) - 1


def test_summary_reads_the_final_runs(finished):
    root, plan, _ = finished
    rows = report.protocol_summary(str(root), ROWS)
    gtp = rows[1]["rules"]["gtp"]
    recs = [json.load(open(plan.final_path(ROWS[1], "gtp", s))) for s in (0, 1)]
    assert gtp["seeds"] == [0, 1] and gtp["test_at_best"] == [r["selection"]["test_acc_at_best"] for r in recs]
    assert gtp["mean"] == pytest.approx(np.mean(gtp["test_at_best"]))
    assert gtp["still_rising"] == sum(r["still_rising"] for r in recs)
    assert gtp["choice"]["params"] == json.load(open(plan.search_path(ROWS[1], "gtp")))["choice"]["params"]
    text = report.protocol_markdown(str(root), ROWS)
    assert "| synth | 12-6-5-3 | 91.00 |" in text and text.count(" s0,1") == 4


def test_search_runs_never_see_the_test_split(finished):
    root, plan, _ = finished
    trials = os.listdir(os.path.join(plan.root, "search", "trials"))
    assert trials
    for name in trials:
        rec = json.load(open(os.path.join(plan.root, "search", "trials", name)))
        assert rec["data"]["n_test"] is None
        assert all("test_acc" not in e for e in rec["epochs"])


def test_second_invocation_skips_everything(finished):
    root, _, _ = finished
    plan = P.Protocol(ROWS, root=str(root), seeds=(0, 1), epochs=3, data=toy_splits, search=TINY)
    again = run(plan.ready, str(root / "ck"), n_workers=1, log=lambda m: None, progress=False)
    # the plan no longer offers finished search rungs; the final runs are skipped
    assert again == {"ran": 0, "skipped": 2 * 2 * 2, "failed": {}}


def test_a_resumed_protocol_counts_what_is_finished(finished, capsys):
    """The progress bar of a later invocation starts with the finished search trials
    (which the plan no longer offers) and ends at the plan's total, with no time left."""
    root, _, _ = finished
    plan = P.Protocol(ROWS, root=str(root), seeds=(0, 1), epochs=3, data=toy_splits, search=TINY)
    n_jobs, cost = plan.counts()
    n_done, cost_done = plan.finished_trials()
    assert n_done == n_jobs - 2 * 2 * 2                      # every trial; the finals are skipped
    assert cost_done == pytest.approx(sum(P.RULE_COST[r] * cost_per_example(row) * P.search_examples(row, plan.search)
                                          for row in ROWS for r in P.RULES))
    run(plan.ready, str(root / "ck"), n_workers=1, log=lambda m: None, progress=True, total=n_jobs,
        total_cost=cost, done=(n_done, cost_done))
    bar = capsys.readouterr().err.split("\r")
    assert f"{n_done}/{n_jobs} jobs" in bar[1] and f"{n_jobs}/{n_jobs} jobs" in bar[-1]
    assert P.Protocol(ROWS, root=str(root / "empty"), search=TINY).finished_trials() == (0, 0.0)


def test_left_is_what_an_interrupted_protocol_still_has_to_run(finished, tmp_path):
    import shutil
    root, plan, _ = finished
    n_jobs, cost = plan.counts()
    assert plan.left() == (0, pytest.approx(0.0, abs=1e-9 * cost))
    fresh = P.Protocol(ROWS, root=str(tmp_path / "empty"), seeds=(0, 1), epochs=3, search=TINY)
    assert fresh.left() == (n_jobs, pytest.approx(cost))
    # lose one final run and one search trial: exactly their cost is left
    shutil.copytree(root / "v2", tmp_path / "cut" / "v2")
    cut = P.Protocol(ROWS, root=str(tmp_path / "cut"), seeds=(0, 1), epochs=3, search=TINY)
    os.remove(cut.final_path(ROWS[1], "backprop", 1))
    trials = os.path.join(cut.root, "search", "trials")
    name = sorted(n for n in os.listdir(trials) if n.startswith(f"synth-{ROWS[0].net}-gtp-r2-") and n.endswith("-e2.json"))[0]
    os.remove(os.path.join(trials, name))
    final_cost = P.RULE_COST["backprop"] * cost_per_example(ROWS[1]) * n_train_full(ROWS[1]) * 3
    assert cut.left() == (2, pytest.approx(final_cost + cut._trial_cost(ROWS[0], "gtp", 1)))


def test_cli_names_an_unreachable_scheduler(tmp_path, capsys):
    assert main(["run", "v2", "--table", "1", "--root", str(tmp_path), "--no-progress",
                 "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"]) == 2
    assert "tcp://127.0.0.1:9" in capsys.readouterr().err
    assert not (tmp_path / "v2").exists()


def test_cli_budget_and_dry_run(tmp_path, capsys):
    assert main(["status", "v2", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    n_jobs, _ = P.Protocol(root=str(tmp_path)).counts()
    assert out.startswith("v2") and f"0/{n_jobs} jobs finished, {n_jobs} left (about " in out
    assert main(["run", "v2", "--table", "3", "--nets", "3072-100-10", "--root", str(tmp_path),
                 "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "v2: 0 of 70 jobs finished; ready now: 24" in out
    assert "cifar-10-3072-100-10-backprop-r1-t11-e1" in out
