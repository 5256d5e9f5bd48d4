"""Throughput of the Dask job runner (gtp.experiments.dask_runner): jobs per hour with 1 and 2 workers.

    python benchmarks/bench_runner.py [--jobs 8] [--n-train 4000] [--epochs 2] [--out r.json]

Every job is the same small training run (GTP, 784-100-10, batch size 1, the synthetic
data of ``gtp.experiments.dask_runner.toy_splits`` with 784 inputs and 10 classes), so the job mix is
uniform.  For each worker count an embedded LocalCluster is started (its start-up time is
reported apart), the jobs run through ``gtp.experiments.dask_runner.run`` into a fresh folder, and the
throughput is jobs / wall time of ``run`` after the cluster is up; the time spent inside
training (the records' ``wall_time``) separates the runner's overhead from the CPU share
the processes got.  The same jobs run once
in this process through ``gtp.experiments.dask_runner.execute`` as the no-Dask reference.

``--interleaved R`` then runs one job R times in each of three places, taking turns: this
process, a plain spawned process (``concurrent.futures``) and a one-worker Dask cluster.
Taking turns exposes the three to the same load, which the blocks above (all in-process jobs
first, then the cluster's) do not; the time is the job's own thread CPU time and its
``wall_time``, both measured where it runs.  A benchmark, not a test: nothing is asserted; on
a shared machine the numbers depend on its load.
"""
import argparse
import functools
import json
import os
import shutil
import sys
import tempfile
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

from gtp.engine.training import TrainConfig  # noqa: E402
from gtp.experiments import dask_runner as runner  # noqa: E402


def tasks(folder, n, n_train, epochs):
    data = functools.partial(runner.toy_splits, n_train=n_train, n_val=1000, n_test=1000, d=784, k=10)
    cfg = TrainConfig(dataset="toy", sizes=(784, 100, 10), acts="sigmoid", rule="gtp", tau=1.0,
                      eta=0.05, epochs=epochs, n_eval_train=1000, n_probe=64)
    return [runner.Task(f"bench{i}", os.path.join(folder, "res", f"bench{i}.json"),
                        dict(cfg.to_dict(), seed=i), data=data) for i in range(n)], data


def timed_job(seed, n_train):
    """One benchmark job where it is called: (wall_time inside training, thread CPU time)."""
    with tempfile.TemporaryDirectory(prefix="bench-ck-") as folder:
        [task], data = tasks(folder, 1, n_train, 1)
        t = time.thread_time()
        rec = runner.execute(dict(task.config, seed=seed), os.path.join(folder, "ck"), data)
        return rec["wall_time"], time.thread_time() - t


def interleaved(reps, n_train):
    """The same job in this process, a spawned process and a Dask worker, taking turns."""
    import concurrent.futures as cf
    import multiprocessing as mp
    import statistics
    pool = cf.ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"))
    client = runner.connect(n_workers=1, dashboard=False)
    client.wait_for_workers(1)
    places = {"this process": lambda s: timed_job(s, n_train),
              "spawned process": lambda s: pool.submit(timed_job, s, n_train).result(),
              "Dask worker": lambda s: client.submit(timed_job, s, n_train, pure=False).result()}
    try:
        for run in places.values():                   # warm-up: imports, first allocations
            run(999)
        times = {k: [] for k in places}
        for rep in range(reps):
            for k, run in places.items():
                times[k].append(run(rep))
    finally:
        runner._close(client)
        pool.shutdown()
    out = {}
    for k, v in times.items():
        wall, cpu = statistics.median(w for w, _ in v), statistics.median(c for _, c in v)
        out[k] = {"wall_s": [w for w, _ in v], "cpu_s": [c for _, c in v]}
        print(f"interleaved, {k}: median {wall:.2f} s inside training, {cpu:.2f} s CPU "
              f"({reps} runs)", flush=True)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", type=int, default=8)
    p.add_argument("--n-train", type=int, default=4000)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--interleaved", type=int, default=0, metavar="R",
                   help="then run one job R times in turn in this process, a spawned process "
                        "and a Dask worker (default 0: skip)")
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    out = {"jobs": a.jobs, "n_train": a.n_train, "epochs": a.epochs, "load_before": os.getloadavg()}
    tmp = tempfile.mkdtemp(prefix="bench-runner-")
    try:
        ts, data = tasks(os.path.join(tmp, "inproc"), a.jobs, a.n_train, a.epochs)
        t0 = time.perf_counter()
        train_s = sum(runner.execute(t.config, os.path.join(tmp, "inproc", "ck", t.id), data)["wall_time"]
                      for t in ts)
        wall = time.perf_counter() - t0
        out["in_process"] = {"wall_s": wall, "train_s": train_s, "jobs_per_hour": 3600 * a.jobs / wall}
        print(f"in process (no Dask): {wall:.1f} s ({train_s:.1f} s inside training), "
              f"{3600 * a.jobs / wall:.0f} jobs/h", flush=True)
        for n in a.workers:
            folder = os.path.join(tmp, f"w{n}")
            ts, _ = tasks(folder, a.jobs, a.n_train, a.epochs)
            t0 = time.perf_counter()
            client = runner.connect(n_workers=n, dashboard=False)
            client.wait_for_workers(n)
            up = time.perf_counter() - t0
            try:
                t0 = time.perf_counter()
                recs = []
                stats = runner.run(lambda ts=ts: ts, os.path.join(folder, "ck"), client=client,
                                   log=lambda m: None, progress=False,
                                   on_result=lambda t, r: recs.append(r["wall_time"]))
                wall = time.perf_counter() - t0
            finally:
                runner._close(client)
            assert stats["ran"] == a.jobs, stats
            out[f"workers_{n}"] = {"startup_s": up, "wall_s": wall, "train_s": sum(recs),
                                   "jobs_per_hour": 3600 * a.jobs / wall}
            print(f"{n} worker(s): cluster up in {up:.1f} s, {a.jobs} jobs in {wall:.1f} s "
                  f"({sum(recs):.1f} s inside training, summed over workers), "
                  f"{3600 * a.jobs / wall:.0f} jobs/h", flush=True)
        if a.interleaved:
            out["interleaved"] = interleaved(a.interleaved, a.n_train)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out["load_after"] = os.getloadavg()
    print(f"load average before {out['load_before']}, after {out['load_after']}")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
