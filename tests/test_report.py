"""Reports (gtp.reports): result files -> tables, gaps, verdict data, summaries."""
import numpy as np
import pytest

from gtp import reports as report
from gtp.engine import records as R
from gtp.maths import paper


def record(path, dataset, sizes, rule, seed, acc, status="finished", variant="printed", table=1):
    rec = {"config": {"dataset": dataset, "sizes": list(sizes), "rule": rule, "seed": seed,
                      "epochs": 2, "eta": 0.01, "tau": 400.0, "acts": "paper"},
           "paper_row": {"dataset": dataset, "sizes": list(sizes)}, "variant": variant,
           "table": f"table{table}", "status": status,
           "epochs": [{"epoch": 0, "examples": 0, "val_acc": 0.1},
                      {"epoch": 1, "examples": 10, "val_acc": acc}],
           "selection": None if status == "running" else
           {"best_epoch": 1, "val_acc_at_best": acc, "test_acc_at_best": acc - 0.01,
            "last_epoch": 1, "test_acc_last": acc - 0.02}}
    R.write_json(path, rec)


@pytest.fixture
def results_root(tmp_path):
    t = tmp_path / "table1"
    record(t / "a.json", "mnist", (784, 100, 10), "gtp", 0, 0.95)
    record(t / "b.json", "mnist", (784, 100, 10), "gtp", 1, 0.97)
    record(t / "c.json", "mnist", (784, 100, 10), "backprop", 0, 0.98)
    record(t / "d.json", "mnist", (784, 200, 10), "gtp", 0, 0.5, status="running")
    record(t / "e.json", "mnist", (784, 200, 10), "gtp", 1, 0.3, status="diverged")
    record(t / "f.json", "mnist", (784, 100, 10), "gtp", 0, 0.96, variant="sigmoid")
    return tmp_path


def test_table_data_aggregates_results(results_root):
    rows = report.table_data(1, root=str(results_root))
    assert [r["net"] for r in rows][:2] == ["784-100-10", "784-200-10"] and len(rows) == 6
    g = rows[0]["cells"][("gtp", "printed")]
    assert g["mean"] == pytest.approx(100 * np.mean([0.94, 0.96]))
    assert g["std"] == pytest.approx(100 * np.std([0.94, 0.96], ddof=1)) and g["n"] == 2
    assert rows[0]["cells"][("backprop", "printed")]["mean"] == pytest.approx(97.0)
    c = rows[1]["cells"][("gtp", "printed")]
    assert c["n"] == 1 and c["n_running"] == 1 and c["n_diverged"] == 1
    assert rows[2]["cells"] == {}
    last = report.table_data(1, root=str(results_root), which="test_acc_last")
    assert last[0]["cells"][("backprop", "printed")]["mean"] == pytest.approx(96.0)


def test_table_markdown_and_gap_summary(results_root):
    rows = report.table_data(1, root=str(results_root))
    md = report.table_markdown(rows)
    lines = md.splitlines()
    assert "GTP, sigmoid everywhere" in lines[0] and "GTP, tuned" not in lines[0]
    assert lines[2].startswith("| 784-100-10 | 400 | 0.01 | 97.21 | 95.00 ± 1.41 (2 seeds)")
    assert "29.00 (1 seed) [1 diverged; running: epoch 1/2]" in lines[3]
    assert lines[4].count("not run yet") == 3
    g = report.gaps(rows)
    assert g[0]["gaps"][("gtp", "printed")] == pytest.approx(95.00 - 97.21)
    assert g[0]["gaps"][("backprop", "printed")] == pytest.approx(97.00 - 97.21)
    assert g[2]["gaps"] == {} and g[1]["running"] == 1


def test_gains_table_uses_per_layer_gains(results_root):
    rows = report.table_data(1, root=str(results_root))
    g = report.gains_table(rows)
    assert g[0]["gains"] == [pytest.approx(0.01 * 400), pytest.approx(0.01)]
    assert g[0]["gap"] == pytest.approx(95.00 - 97.21) and g[2]["gap"] is None
    deep = [r for r in g if r["net"] == "784-100-100-10"][0]
    assert deep["eta_tau"] == pytest.approx(0.05) and deep["max_gain"] == pytest.approx(2.5)


def test_verdict_and_versus_baseline(results_root):
    rows = report.table_data(1, root=str(results_root))
    v = report.verdict_data(rows, close=1.0, far=5.0)
    printed = v[("gtp", "printed")]
    assert (printed["n_finished"], printed["n_far_below"], printed["n_close"]) == (2, 1, 0)
    vs = report.versus_baseline(rows)
    assert len(vs) == 1 and vs[0]["net"] == "784-100-10"
    assert vs[0]["best"] == pytest.approx(95.0)          # printed and sigmoid tie at 95
    assert vs[0]["beats"] and vs[0]["margin"] == pytest.approx(2.0)


def test_still_improving_and_tuned_settings(results_root):
    record(results_root / "table1" / "g.json", "mnist", (784, 500, 10), "gtp", 0, 0.9,
           variant="tuned")
    rows = report.table_data(1, root=str(results_root))
    # every fixture run has its best epoch at its last epoch
    assert report.still_improving(rows) == (["784-100-10", "784-200-10"], 2)
    assert report.still_improving(rows, ("gtp", "tuned")) == (["784-500-10"], 1)
    line = report.table_markdown(rows).splitlines()[4]
    assert "89.00 (1 seed) [paper, τ=400, η=0.01]" in line


def test_unknown_variants_get_their_own_column(results_root):
    record(results_root / "table1" / "h.json", "mnist", (784, 100, 10), "gtp", 0, 0.91,
           variant="long")
    rows = report.table_data(1, root=str(results_root))
    head, _, first = report.table_markdown(rows).splitlines()[:3]
    assert "GTP, long" in head and "90.00 (1 seed)" in first
    assert ("gtp", "long") in report.verdict_data(rows)


def test_e20_data_pairs_long_runs_with_the_same_seeds(results_root):
    record(results_root / "e20" / "x.json", "mnist", (784, 100, 10), "gtp", 1, 0.99)
    (d,) = report.e20_data(str(results_root))
    assert d["net"] == "784-100-10" and d["cells"][("gtp", "printed")]["mean"] == pytest.approx(98.0)
    assert d["short"][("gtp", "printed")]["seeds"] == [1]
    assert d["short"][("gtp", "printed")]["mean"] == pytest.approx(96.0)


def test_kind_labels_and_layer_gains():
    assert report.kind_label(("gtp", "printed")) == "GTP, paper's settings"
    assert report.kind_label(("backprop", "printed")) == "backprop (same network)"
    assert report.kind_colour(("gtp", "tuned")) != report.kind_colour(("gtp", "printed"))
    assert paper.find_row("mnist", (784, 500, 500, 500, 10)).gains == pytest.approx([7.8125, 0.3125, 0.0125, 0.0005])
    with pytest.raises(ValueError, match="no row"):
        paper.find_row("mnist", (784, 7, 10))
