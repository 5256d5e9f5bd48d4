"""The reproduction command (gtp.experiments.protocol_v1, gtp.engine.records, python -m gtp) on tiny synthetic rows."""
import json
import os

import numpy as np
import pytest

from gtp import reports as report
from gtp.cli import main
from gtp.engine import records as R
from gtp.experiments import protocol_v1 as rp
from gtp.maths import paper


def test_rows_are_the_papers_tables():
    assert len(rp.ROWS) == 16
    assert [sum(r.table == t for r in rp.ROWS) for t in (1, 2, 3)] == [6, 5, 5]
    first, last = rp.ROWS[0], rp.ROWS[-1]
    assert (first.dataset, first.sizes, first.paper, first.tau, first.eta) == \
        ("mnist", (784, 100, 10), 97.21, 400, 0.01)
    assert (last.dataset, last.sizes, last.paper, last.tau, last.eta) == \
        ("cifar-10", (3072, 500, 500, 500, 10), 47.11, 50, 0.000005)
    assert all(r.sizes[-1] == 10 and r.sizes[0] == (3072 if r.table == 3 else 784)
               for r in rp.ROWS)


def test_paper_settings_in_config():
    c = rp.make_config(rp.ROWS[3], "gtp", seed=2)
    assert (c.acts, c.start, c.steps, c.batch_size, c.tau, c.eta, c.seed, c.init) == \
        ("paper", "zero", 1, 1, 50.0, 0.001, 2, "paper")
    assert c.epochs == rp.EPOCHS["mnist"]


def test_job_list_order_and_unique_ids():
    jobs = rp.build_jobs((1, 2, 3), seeds=3, seeds_cifar=1)
    ids = [j.id for j in jobs]
    assert len(ids) == len(set(ids))
    n_search = sum(len(rp.BP_ETAS[r.dataset]) for r in rp.ROWS)
    assert all(j.search for j in jobs[:n_search]) and not any(j.search for j in jobs[n_search:])
    main_jobs = jobs[n_search:]
    assert len(main_jobs) == 2 * (11 * 3 + 5)
    seeds = [j.seed for j in main_jobs]
    assert seeds == sorted(seeds)                      # every row's seed 0 before any seed 1
    assert {j.rule for j in main_jobs} == {"gtp", "backprop"}


def test_gtp_search_grid_starts_with_printed_settings():
    row = rp.ROWS[0]
    label, ch = rp.search_grid("gtp-search", row)[0]
    assert ch == {"rule": "gtp", "acts": "paper", "tau": row.tau, "eta": row.eta}
    with pytest.raises(ValueError, match="kind"):
        rp.search_grid("random", row)


# --------------------------------------------------------------------------- end to end
D, K = 12, 3
ROWS = [rp.Row(1, "synth", (D, 6, K), 90.0, 4.0, 0.5),
        rp.Row(1, "synth", (D, 6, 5, K), 91.0, 2.0, 0.5)]


def fake_data(dataset):
    protos = np.random.default_rng(0).random((K, D))

    def split(n, seed):
        rng = np.random.default_rng(seed)
        y = rng.integers(0, K, n)
        return np.clip(protos[y] + 0.2 * rng.standard_normal((n, D)), 0, 1).astype(np.float32), y
    return {"train": split(60, 1), "validation": split(30, 2), "test": split(30, 3)}


@pytest.fixture(scope="module")
def dask_client():
    """One 2-worker LocalCluster for the module (starting one per run_jobs call is slow)."""
    from gtp.experiments import dask_runner as runner
    client = runner.connect(n_workers=2, dashboard=False)
    yield client
    runner._close(client)


@pytest.fixture
def tiny(monkeypatch, dask_client):
    from gtp.experiments import dask_runner as runner
    monkeypatch.setattr(runner, "connect", lambda *a, **k: dask_client)
    monkeypatch.setattr(runner, "_close", lambda client: None)
    monkeypatch.setattr(paper, "ROWS", ROWS)
    monkeypatch.setattr(rp, "EPOCHS", {"synth": 2})
    monkeypatch.setattr(rp, "SEARCH", {"n_train": 40, "epochs": 1, "seed": 0})
    monkeypatch.setattr(rp, "BP_ETAS", {"synth": (0.1, 1.0)})
    monkeypatch.setattr(rp, "_data", fake_data)


def test_reproduce_end_to_end(tiny, tmp_path):
    jobs = rp.build_jobs((1,), seeds=2)
    logs = []
    n = rp.run_jobs(jobs, root=str(tmp_path), log=logs.append)
    assert n == len(jobs) == 2 * 2 + 2 * 2 * 2
    files = sorted(os.listdir(tmp_path / "table1"))
    assert len(files) == 8 and "synth-12-6-3-gtp-s0.json" in files
    rec = R.load_record(tmp_path / "table1" / "synth-12-6-3-backprop-s1.json")
    assert rec["status"] == "finished" and rec["config"]["rule"] == "backprop"
    assert rec["config"]["eta"] == rec["eta_choice"]["eta"] in (0.1, 1.0)
    assert rec["config"]["epochs"] == 2 and len(rec["epochs"]) == 3
    for key in ("gtp_version", "git_commit", "numpy_version", "cpu"):
        assert key in rec["provenance"]
    assert rec["paper_row"]["tau"] == 4.0 and rec["run_id"] == "synth-12-6-3-backprop-s1"
    # finished runs are skipped
    assert rp.run_jobs(jobs, root=str(tmp_path), log=logs.append) == 0
    # a tuned variant uses the GTP search's choice
    tuned_jobs = rp.build_jobs((1,), seeds=1, variants=("tuned",), backprop=False,
                                     searches=("gtp-search",))
    rp.run_jobs(tuned_jobs, root=str(tmp_path), log=logs.append)
    for row in ROWS:
        tuned = R.load_record(tmp_path / "table1" / (rp.run_id(row, "gtp", 0, "tuned") + ".json"))
        choice = rp.chosen("gtp-search", row, str(tmp_path))
        assert (tuned["config"]["acts"], tuned["config"]["eta"]) == (choice["acts"],
                                                                      choice["eta"])
        printed = (choice["acts"], choice["eta"]) == ("paper", row.eta)
        assert ("same_as" in tuned) == printed
    rows = report.summary_data(str(tmp_path), tables=(1,))
    bp = rows[0]["methods"]["backprop"]
    assert bp["seeds"] == [0, 1] and len(bp["test_at_best"]) == 2 and bp["running"] == 0
    assert bp["mean"] == pytest.approx(np.mean(bp["test_at_best"]))
    assert set(rows[0]["methods"]) == {"gtp-printed", "gtp-tuned", "backprop"}
    text = report.summary_table(str(tmp_path), tables=(1,))
    assert "| 12-6-3 | 4 | 0.5 | 90.00 |" in text
    assert "(2) s0,1" in text and "GTP tuned (ours)" in text
    out = tmp_path / "SUMMARY.md"
    top = tmp_path / "top"                   # `summary` takes the results folder: v1/ is below it
    top.mkdir()
    os.symlink(tmp_path, top / "v1")
    assert main(["summary", "--table", "1", "--root", str(top), "--write", str(out)]) == 0
    page = out.read_text()
    assert page.count("| 12-6-3 | 4 | 0.5 | 90.00 |") == 2        # selected and last epoch
    assert "eta0.1:" in page and "Protocol v1 validation search: GTP settings" in page
    assert "| 12-6-3 | 90.00 | not started | not started | " in page   # v2 not run here


def test_unfinished_run_resumes(tiny, tmp_path):
    job = rp.build_jobs((1,), seeds=1, backprop=False, searches=())[0]

    class Crash(Exception):
        pass

    def crash_after_first_epoch(msg):
        if "epoch 1 " in msg:
            raise Crash
    with pytest.raises(Crash):
        rp.run_job(job, str(tmp_path), str(tmp_path / "ck"), log=crash_after_first_epoch)
    path = tmp_path / "table1" / (job.id + ".json")
    partial = json.loads(path.read_text())
    assert partial["status"] == "running" and len(partial["epochs"]) == 2
    rp.run_jobs([job], root=str(tmp_path), checkpoint_root=str(tmp_path / "ck"),
                log=lambda m: None)
    done = json.loads(path.read_text())
    assert done["status"] == "finished" and [e["epoch"] for e in done["epochs"]] == [0, 1, 2]
    straight = rp.run_job(job, str(tmp_path / "b"), str(tmp_path / "ck2"), log=lambda m: None)
    assert [e["val_acc"] for e in straight["epochs"]] == [e["val_acc"] for e in done["epochs"]]


def test_results_json_atomic_and_clean(tmp_path):
    p = tmp_path / "a" / "r.json"
    R.write_json(str(p), {"x": np.float32(0.5), "nan": float("nan"), "arr": np.arange(3),
                          "n": np.int64(4)})
    assert json.loads(p.read_text()) == {"x": 0.5, "nan": None, "arr": [0, 1, 2], "n": 4}
    assert os.listdir(tmp_path / "a") == ["r.json"]


def test_aggregate():
    assert R.aggregate([0.9, 0.92, None]) == (pytest.approx(0.91), pytest.approx(0.0141421356), 2)
    assert R.aggregate([0.5]) == (0.5, 0.0, 1)
    assert R.aggregate([]) == (None, None, 0)
    assert R.fmt_mean_std([0.9, 0.92]) == "91.00 ± 1.41 (2)"


def test_cli_summary_and_dry_run(tiny, tmp_path, capsys):
    plan = rp.plan(str(tmp_path), design=dict(rp.V1_TABLES, tables=(1,), seeds=1))
    todo = plan.pending()
    assert "synth-12-6-3-gtp-s0" in todo and any(t.endswith("(after its search)") for t in todo)
    assert plan.progress().finished == 0
    assert not (tmp_path / "table1").exists()
    assert main(["summary", "--table", "1", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out           # v2 beside v1: nothing run under either yet
    assert "| 12-6-5-3 | 91.00 | not started | not started | not run |" in out


def test_tuned_equal_to_printed_is_copied_not_retrained(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(rp, "GTP_GRID", {"acts": ("paper",), "tau_factor": (1.0,),
                                         "eta_factor": (1.0,)})
    first = rp.build_jobs((1,), seeds=1, backprop=False, searches=("gtp-search",))
    rp.run_jobs(first, root=str(tmp_path), log=lambda m: None)
    logs = []
    tuned = rp.build_jobs((1,), seeds=1, variants=("tuned",), backprop=False, searches=())
    assert rp.run_jobs(tuned, root=str(tmp_path), log=logs.append) == 2
    assert all("copied" in m for m in logs)
    a = R.load_record(tmp_path / "table1" / "synth-12-6-3-gtp-s0.json")
    b = R.load_record(tmp_path / "table1" / "synth-12-6-3-gtp-tuned-s0.json")
    assert b["same_as"] == "synth-12-6-3-gtp-s0" and b["variant"] == "tuned"
    assert a["epochs"] == b["epochs"] and a["config"] == b["config"]


def test_tagged_runs_are_separate(tiny, tmp_path):
    jobs = rp.build_jobs((1,), seeds=1, epochs=3, nets=["12-6-5-3"], tag="e3", searches=())
    assert [(j.table, j.id) for j in jobs] == [("e3", "synth-12-6-5-3-gtp-e3-s0"),
                                               ("e3", "synth-12-6-5-3-backprop-e3-s0")]
    rp.run_jobs(jobs[:1], root=str(tmp_path), log=lambda m: None)
    rec = R.load_record(tmp_path / "e3" / "synth-12-6-5-3-gtp-e3-s0.json")
    assert rec["config"]["epochs"] == 3 and len(rec["epochs"]) == 4
    assert not (tmp_path / "table1").exists()
