"""gtp.experiments.dask_runner on a real LocalCluster (2 worker processes on loopback) with tiny synthetic jobs:
results are written, a worker killed mid-job leaves a bit-identical result, a second
invocation skips finished jobs, an unreachable scheduler gives a clear error."""
import functools
import json
import os
import signal
import threading
import time

import pytest

from gtp.engine.training import TrainConfig, load_checkpoint
from gtp.experiments import dask_runner as runner

DATA = runner.toy_splits                                      # 400 training examples
LONG = functools.partial(runner.toy_splits, n_train=2000)     # about 0.1-0.3 s per epoch


def config(seed=0, epochs=3):
    return TrainConfig(dataset="toy", sizes=(12, 32, 16, 3), acts="sigmoid", rule="gtp", tau=1.0,
                       eta=0.2, epochs=epochs, seed=seed, n_eval_train=100, n_probe=16).to_dict()


@pytest.fixture(scope="module")
def client():
    c = runner.connect(n_workers=2)
    yield c
    runner._close(c)


def tasks(tmp, n=3, epochs=3):
    return [runner.Task(f"job{i}", os.path.join(tmp, "res", f"job{i}.json"), config(i, epochs),
                        {"note": i}, data=DATA) for i in range(n)]


def test_jobs_run_write_results_and_are_skipped_the_second_time(client, tmp_path):
    ts = tasks(str(tmp_path))
    seen = []
    stats = runner.run(lambda: ts, str(tmp_path / "ck"), client=client, log=lambda m: None,
                       progress=False, on_result=lambda t, r: seen.append(t.id))
    assert stats == {"ran": 3, "skipped": 0, "failed": {}} and sorted(seen) == ["job0", "job1", "job2"]
    for i, t in enumerate(ts):
        rec = json.load(open(t.path))
        assert rec["status"] == "finished" and rec["note"] == i and rec["config"]["seed"] == i
        assert len(rec["weights_sha256"]) == 64 and len(rec["epochs"]) == 4
    stamps = [os.stat(t.path).st_mtime_ns for t in ts]
    again = runner.run(lambda: ts, str(tmp_path / "ck"), client=client, log=lambda m: None,
                       progress=False)
    assert again == {"ran": 0, "skipped": 3, "failed": {}}
    assert [os.stat(t.path).st_mtime_ns for t in ts] == stamps


def test_dependent_tasks_unfold_as_results_arrive(client, tmp_path):
    first, second = tasks(str(tmp_path), n=2)
    ready = lambda: [first] + ([second] if os.path.exists(first.path) else [])  # noqa: E731
    order = []
    runner.run(ready, str(tmp_path / "ck"), client=client, log=lambda m: None, progress=False,
               on_result=lambda t, r: order.append(t.id))
    assert order == ["job0", "job1"]


def test_killed_worker_resumes_bit_identically(client, tmp_path):
    task = runner.Task("long", str(tmp_path / "res" / "long.json"), config(7, epochs=16), data=LONG)
    reference = runner.execute(task.config, str(tmp_path / "ref"), LONG)   # uninterrupted
    ck = tmp_path / "ck"
    out = {}
    th = threading.Thread(target=lambda: out.update(runner.run(
        lambda: [task], str(ck), client=client, log=lambda m: None, progress=False)))
    th.start()
    killed, t0 = None, time.time()
    while killed is None and time.time() - t0 < 60:      # wait for epoch >= 2 of 16, then kill
        saved = load_checkpoint(str(ck / "long")) if (ck / "long").exists() else None
        if saved and 2 <= len(saved[0]["epochs"]) - 1 < 12:
            for addr, keys in client.processing().items():
                if "gtp-long" in keys:
                    killed = client.run(os.getpid, workers=[addr])[addr]
                    os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    th.join(120)
    assert killed is not None and out["ran"] == 1 and not out["failed"]
    rec = json.load(open(task.path))
    assert rec["provenance"].get("resumed"), "the job was not resumed from its checkpoint"
    assert rec["weights_sha256"] == reference["weights_sha256"]
    keys = ("val_acc", "val_loss", "test_acc", "train_loss", "weight_norm", "cos_batch")
    assert [[e[k] for k in keys] for e in rec["epochs"]] == \
        [[e[k] for k in keys] for e in json.loads(json.dumps(reference["epochs"]))]


def test_jobs_run_on_an_existing_scheduler(client, tmp_path):
    client.wait_for_workers(2, timeout=60)      # the nanny restarts the worker killed above
    nannies = set(client.cluster.workers)
    ts = tasks(str(tmp_path), n=2, epochs=1)
    stats = runner.run(lambda: ts, str(tmp_path / "ck"), scheduler=client.scheduler.address,
                       log=lambda m: None, progress=False)
    assert stats == {"ran": 2, "skipped": 0, "failed": {}} and all(os.path.exists(t.path) for t in ts)
    # the cluster outlives the run: its scheduler and nannies, and both workers (a loaded
    # machine's missed heartbeat may have a nanny restart one, under a new address)
    assert client.cluster.status.name == "running" and set(client.cluster.workers) == nannies
    client.wait_for_workers(2, timeout=60)


def test_unreachable_scheduler_is_named():
    t0 = time.time()
    with pytest.raises(ConnectionError, match="tcp://127.0.0.1:9"):
        runner.run(lambda: [], "/nonexistent", scheduler="tcp://127.0.0.1:9", connect_timeout=2)
    assert time.time() - t0 < 30


def test_searches_load_only_train_and_validation(monkeypatch):
    import gtp.data
    asked = []
    monkeypatch.setattr(gtp.data, "load", lambda name, split, dtype=None: asked.append(split) or split)
    monkeypatch.setattr(runner, "_CACHE", {})
    d = runner._splits(None, "mnist", ("train", "validation"))
    assert sorted(asked) == ["train", "validation"] and d["test"] is None
    assert runner._splits(None, "mnist", ("train", "validation")) is d and len(asked) == 2
    a, b = functools.partial(runner.toy_splits, n_train=50), functools.partial(runner.toy_splits, n_train=50)
    assert runner._splits(a, "toy", ("train",)) is runner._splits(b, "toy", ("train",))


def test_dashboard_is_reported_only_with_bokeh(client, monkeypatch):
    url = runner.dashboard_address(client)
    assert url is None if not runner._has_bokeh() else url.startswith("http://127.0.0.1:")
    monkeypatch.setattr(runner, "_has_bokeh", lambda: True)
    assert runner.dashboard_address(client).startswith("http://127.0.0.1:")
    monkeypatch.setattr(runner, "_has_bokeh", lambda: False)
    assert runner.dashboard_address(client) is None
