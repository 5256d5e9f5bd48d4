"""Protocol v2 against v1 (gtp.reports.comparison_data, verdict, SUMMARY.md) and the v1 folder."""
import os
from pathlib import Path

import numpy as np
import pytest

from gtp import reports as report
from gtp.engine import records as R
from gtp.experiments import diagnostics_runs as diagnostics
from gtp.experiments import protocol_v1 as reproduce
from gtp.experiments import protocol_v2 as protocol
from gtp.experiments import sensitivity_grids as sensitivity
from gtp.maths import paper

ROOT = Path(__file__).resolve().parent.parent

from test_report import record  # noqa: E402  (the v1 record of the report tests)

ROW = paper.find_row("mnist", (784, 100, 10))            # one hidden layer, tau 400
DEEP = paper.find_row("mnist", (784, 100, 100, 10))


def _search(plan, row, rule, params, changes, at_edge=()):
    R.write_json(plan.search_path(row, rule), {
        "status": "finished", "rule": rule,
        "choice": {"params": params, "changes": changes, "val_acc": 0.95, "at_edge": list(at_edge),
                   "round": 2, "trial": 0}})


def _final(plan, row, rule, seed, acc, last=None, rising=False, status="finished"):
    R.write_json(plan.final_path(row, rule, seed), {
        "config": {"dataset": row.dataset, "sizes": list(row.sizes), "rule": rule, "seed": seed,
                   "epochs": 20},
        "status": status, "still_rising": rising,
        "selection": {"best_epoch": 12, "val_acc_at_best": acc, "test_acc_at_best": acc,
                      "last_epoch": 20, "test_acc_last": acc if last is None else last}})


@pytest.fixture
def root(tmp_path):
    """A results folder: v1 with GTP printed on two rows, v2 with ROW finished for both rules
    (GTP 0.2 points below backprop, rising on 2 of 3 seeds, tau at an edge), DEEP with GTP's
    search finished and one seed done, backprop's search half way; nothing else."""
    v1 = Path(R.v1_root(str(tmp_path)))
    record(v1 / "table1" / "a.json", "mnist", (784, 100, 10), "gtp", 0, 0.30)
    record(v1 / "table1" / "b.json", "mnist", (784, 100, 10), "gtp", 1, 0.32)
    record(v1 / "table1" / "c.json", "mnist", (784, 100, 100, 10), "gtp", 0, 0.93)
    plan = protocol.Protocol(root=str(tmp_path))
    # GTP: tau 400, eta 0.01, g = 0 -> effective rates 4 (W_0) and 0.01 (W_1)
    _search(plan, ROW, "gtp", {"tau": 400.0, "eta": 0.01, "gain": 0.0, "acts": "sigmoid"},
            {"rule": "gtp", "acts": "sigmoid", "eta": [0.01, 0.01], "tau": 400.0}, at_edge=["tau"])
    _search(plan, ROW, "backprop", {"eta": 0.1, "k": 1.0, "acts": "sigmoid"},
            {"rule": "backprop", "acts": "sigmoid", "eta": [0.1, 0.1]})
    for s, (g, b) in enumerate([(0.970, 0.972), (0.971, 0.973), (0.972, 0.974)]):
        _final(plan, ROW, "gtp", s, g, last=g - 0.001, rising=s < 2)
        _final(plan, ROW, "backprop", s, b)
    _search(plan, DEEP, "gtp", {"tau": 50.0, "eta": 0.001, "gain": 1.0, "acts": "paper"},
            {"rule": "gtp", "acts": "paper", "eta": [0.001 / 2500, 0.001 / 50, 0.001], "tau": 50.0})
    _final(plan, DEEP, "gtp", 0, 0.975)
    trials = Path(plan.root) / "search" / "trials"
    for i in range(5):
        R.write_json(trials / f"mnist-784-100-100-10-backprop-r1-t{i:02d}-e1.json", {"status": "finished"})
    return tmp_path


def test_comparison_data_states_and_cells(root):
    rows = report.comparison_data(str(root))
    assert len(rows) == 16 and [r["net"] for r in rows[:2]] == ["784-100-10", "784-200-10"]
    r = rows[0]
    g, b = r["gtp"], r["backprop"]
    assert g["state"] == b["state"] == "done" and g["seeds"] == [0, 1, 2] and g["rising"] == 2
    assert g["mean"] == pytest.approx(97.1) and g["std"] == pytest.approx(0.1)
    assert g["mean_last"] == pytest.approx(97.0) and b["mean"] == pytest.approx(97.3)
    assert g["rates"] == pytest.approx([4.0, 0.01]) and b["rates"] == pytest.approx([0.1, 0.1])
    assert r["v1"]["mean"] == pytest.approx(30.0) and r["v1"]["seeds"] == [0, 1]
    d = rows[3]                                            # 784-100-100-10
    assert d["gtp"]["state"] == "final runs" and d["gtp"]["n"] == 1
    assert d["gtp"]["rates"] == pytest.approx([0.001, 0.001, 0.001])   # g = 1: equal rates
    assert d["backprop"]["state"] == "search" and d["backprop"]["trials_done"] == 5
    assert d["backprop"]["trials_total"] == 32 and d["verdict"]["state"] == "final runs"
    assert rows[5]["gtp"]["state"] == "not started" and rows[5]["v1"]["state"] == "not run"
    assert all(r["hebbian"] is None for r in rows)


def test_verdict_criteria_and_measured_reasons(root):
    r = report.comparison_data(str(root))[0]
    v = r["verdict"]
    # paper 97.21: GTP 97.1 +- 0.1 is 0.11 below, tolerance max(0.1, floor 0.1) -> not reached
    assert v["to_paper"]["diff"] == pytest.approx(97.1 - 97.21)
    assert v["to_paper"]["tol"] == pytest.approx(0.1) and not v["to_paper"]["reaches"]
    # backprop 97.3 +- 0.1: 0.2 below, tolerance sqrt(0.1^2 + 0.1^2) = 0.141 -> not reached
    assert v["to_backprop"]["tol"] == pytest.approx(np.sqrt(0.02)) and not v["to_backprop"]["reaches"]
    kinds = {x["kind"]: x for x in v["reasons"]}
    assert kinds["budget"]["rising"] == 2 and kinds["budget"]["at_edge"] == ["tau"]
    assert kinds["gain"]["layers"] == [(0, pytest.approx(40.0)), (1, pytest.approx(0.1))]
    assert "hebbian" not in kinds and "pull" not in v
    # a looser floor makes both reached; a larger gain factor drops the gain reason
    loose = report.verdict(r, {"floor": 0.5, "gain_factor": 100.0})
    assert loose["to_paper"]["reaches"] and loose["to_backprop"]["reaches"]
    assert {x["kind"] for x in loose["reasons"]} == {"budget"}


def test_flag_counts_separate_flagged_rows_by_outcome(root):
    rows = report.comparison_data(str(root))
    # the one row where both rules finished: flagged (budget, gain), GTP short of backprop
    assert report.flag_counts(rows) == {"rows": 1, "flagged": 1, "reaching": 0, "flagged_reaching": 0,
                                        "failing": 1, "flagged_failing": 1}
    # a looser floor: GTP reaches backprop, still flagged (budget)
    loose = report.flag_counts(rows, {"floor": 0.5, "gain_factor": 100.0})
    assert loose == {"rows": 1, "flagged": 1, "reaching": 1, "flagged_reaching": 1,
                     "failing": 0, "flagged_failing": 0}
    assert "Flags, although GTP reaches both (correlations, not causes): budget" in \
        report.verdict_markdown(rows, {"floor": 0.5, "gain_factor": 100.0})


def test_flag_counts_every_combination(monkeypatch):
    from gtp.reports import protocol_report as P

    def fake(row, criteria=None):
        return {"state": row["state"], "to_paper": {"reaches": True},
                "to_backprop": None if row["bp"] is None else {"reaches": row["bp"]},
                "reasons": [{"kind": "gain"}] * row["flags"]}
    monkeypatch.setattr(P, "verdict", fake)
    rows = [{"state": "done", "bp": True, "flags": 1}, {"state": "done", "bp": True, "flags": 0},
            {"state": "done", "bp": False, "flags": 2}, {"state": "done", "bp": False, "flags": 0},
            {"state": "done", "bp": False, "flags": 0}, {"state": "done", "bp": None, "flags": 1},
            {"state": "final runs", "bp": True, "flags": 1}]
    assert P.flag_counts(rows) == {"rows": 5, "flagged": 2, "reaching": 2, "flagged_reaching": 1,
                                   "failing": 3, "flagged_failing": 1}


def test_hebbian_reason_reads_the_diagnostics(root):
    rows = report.comparison_data(str(root))
    ch = R.load_record(protocol.Protocol(root=str(root)).search_path(ROW, "gtp"))["choice"]
    R.write_json(diagnostics.diagnostics_path(str(root)), {"rows": {"mnist 784-100-10": {
        "params": ch["params"], "tau": 400.0, "acts": "sigmoid",
        "init": {"hebbian_pull": [0.01, 0.0], "cosine": [1.0, 1.0]},
        "trained": {"hebbian_pull": [0.4, 0.0], "cosine": [0.8, 1.0]}}}})
    rows = report.comparison_data(str(root))
    v = rows[0]["verdict"]
    (h,) = [x for x in v["reasons"] if x["kind"] == "hebbian"]
    assert h["layer"] == 0 and h["pull"] == 0.4 and h["init"] == 0.01
    assert "0.40× its backprop term" in report.reason_text(h)
    assert "| MNIST | 784-100-10 | 400 | sigmoid | 0.01 / 0 | 0.4 / 0 | 0.8 / 1 |" in report.hebbian_markdown(rows)


def test_markdown_shows_missing_rows_clearly(root):
    rows = report.comparison_data(str(root))
    md = report.comparison_markdown(rows).splitlines()
    assert md[0].startswith("| data set | network | paper | GTP (equal budget, v2, 20 epochs)")
    assert md[2] == ("| MNIST | 784-100-10 | 97.21 | 97.10 ± 0.10 (3) s0,1,2 ↑2/3 | "
                     "97.30 ± 0.10 (3) s0,1,2 | 30.00 ± 1.41 (2) s0,1 |")
    assert "97.50 ± 0.00 (1) s0 [2 seed(s) running] | search running (5 of 32 trial runs)" in md[5]
    assert md[4].endswith("| not started | not started | not run |")
    last = report.comparison_markdown(rows, last=True).splitlines()[2]
    assert "97.00 ± 0.10 (3)" in last and "29.00 ± 1.41 (2)" in last
    settings = report.settings_markdown(rows)
    assert "| MNIST | 784-100-10 | GTP | 400 | 0.01 | g = 0.00 | sigmoid | tau | 4 / 0.01 | 95.00 |" in settings
    assert "| MNIST | 784-100-100-10 | backprop | search running (5 of 32 trial runs) |" in settings
    verdict = report.verdict_markdown(rows)
    assert "does not reach the paper (−0.11 points, tolerance 0.10)" in verdict
    assert "budget: GTP's validation accuracy still rising at the last epoch on 2 of 3 seeds" in verdict
    assert "not judged yet; GTP final runs running (1 of 3 seeds finished)" in verdict
    counts = report.verdict_counts(rows)
    assert counts == {"judged": 1, "paper": 0, "both_judged": 1, "backprop": 0, "budget": 1,
                      "gain": 1, "hebbian": 0, "rising": 1}
    assert report.rising_rows(rows) == ["MNIST 784-100-10"] and report.rising_rows(rows, "backprop") == []
    pending = report.pending_text(rows)
    assert pending.startswith(f"{len(rows) - 1} of the {len(rows)} rows had not finished")
    names = pending[:-1].split("yet: ", 1)[1].split(", ")       # the finished row is left out
    assert len(names) == len(rows) - 1 and names[0] == "MNIST 784-200-10" and "MNIST 784-100-10" not in names
    assert report.pending_text(rows[:1]) == "all 1 rows had finished when this page was built"


def test_summary_of_an_empty_results_folder(tmp_path):
    text = report.summary_markdown(str(tmp_path))
    assert "Protocol v2: 0 of 16 rows finished for both rules." in text
    assert text.count("not judged yet") == 16 and "Not measured yet." in text


def test_committed_summary_is_what_the_code_generates():
    """results/SUMMARY.md never drifts from the committed results: regenerate it with
    `python -m gtp summary --write results/SUMMARY.md` after adding result files."""
    committed = (ROOT / "results" / "SUMMARY.md").read_text()
    assert committed == report.summary_markdown(str(ROOT / "results")), \
        "results/SUMMARY.md is stale: run `python -m gtp summary --write results/SUMMARY.md`"


def test_protocol_v1_lives_in_its_own_folder():
    v1 = ROOT / "results" / "v1"
    assert Path(R.V1_ROOT) == v1 == Path(R.v1_root(str(ROOT / "results")))
    # where `python -m gtp run v1`, the searches and the sensitivity grids write ...
    assert Path(reproduce.DEFAULT_ROOT) == Path(sensitivity.DEFAULT_ROOT) == v1
    assert Path(sensitivity.grid_path("x")).parent == v1 / "sensitivity"
    # ... is where the readers look, and protocol v2 stays beside it
    assert Path(protocol.Protocol().root) == ROOT / "results" / "v2"
    for name in ("table1", "table2", "table3", "search", "e20", "sensitivity"):
        assert (v1 / name).is_dir() and not (ROOT / "results" / name).exists(), name
    rows = [r for t in (1, 2, 3) for r in report.table_data(t)]
    assert all(r["cells"][("gtp", "printed")]["n"] == 3 for r in rows)
    assert len(report.e20_data()) == 3 and sensitivity.load("mnist-784-100-10-paper") is not None
    assert protocol.throughput()                       # the budget reads the v1 runs


def test_command_line_roots():
    """Every verb takes the results folder itself; each experiment finds its folder below it."""
    from gtp.cli import parser
    from gtp.experiments import catalogue
    p = parser()
    for argv in (["summary"], ["status"], ["run", "v1"], ["run", "v2"]):
        assert p.parse_args(argv).root is None, argv         # None: R.RESULTS_ROOT
    assert catalogue.make_plan("v1").root == R.V1_ROOT
    assert catalogue.make_plan("v2").protocol.root == os.path.join(R.RESULTS_ROOT, "v2")
    assert os.path.basename(diagnostics.diagnostics_path()) == "diagnostics.json"


def _tiny_data(row, n_train=30, n_val=12):
    rng = np.random.default_rng(1)
    n_in = row.sizes[0]
    return {"train": (rng.random((n_train, n_in)).astype(np.float32), rng.integers(0, 10, n_train)),
            "validation": (rng.random((n_val, n_in)).astype(np.float32), rng.integers(0, 10, n_val))}


def test_hebbian_pull_is_the_ratio_of_the_decomposition_terms():
    from gtp import init_weights
    from gtp.maths.decomposition import zero_start_terms
    W = init_weights([784, 100, 100, 10], "paper", rng=0)
    x, y = _tiny_data(DEEP)["validation"]
    h = diagnostics.hebbian_pull(W, x[:1], y[:1], 50.0, "paper")
    terms = zero_start_terms(W, x[0].astype(float), int(y[0]), 50.0, "paper")
    for l, t in enumerate(terms):
        hebb = sum(np.linalg.norm(a) for a in t["activity"].values())
        assert h["hebbian_pull"][l] == pytest.approx(hebb / np.linalg.norm(t["backprop"]), rel=1e-9)
    assert h["hebbian_pull"][-1] == 0 and h["cosine"][-1] == pytest.approx(1.0)


def test_diagnostics_run_writes_the_done_rows_and_resumes(root):
    calls = []

    def data_fn(row):
        calls.append(row.net)
        return _tiny_data(row)
    path = diagnostics.run(str(root), data_fn=data_fn, log=lambda m: None)
    stored = R.load_record(path)
    assert sorted(stored["rows"]) == ["mnist 784-100-10", "mnist 784-100-100-10"]   # GTP searches done
    assert "provenance" in stored and calls == ["784-100-10", "784-100-100-10"]
    d = stored["rows"]["mnist 784-100-100-10"]
    assert len(d["init"]["hebbian_pull"]) == 3 and d["trained"]["status"] == "finished"
    diagnostics.run(str(root), data_fn=data_fn, log=lambda m: None)              # nothing new
    assert len(calls) == 2
    rows = report.comparison_data(str(root))
    assert rows[0]["hebbian"] is not None and "pull" in rows[0]["verdict"]
