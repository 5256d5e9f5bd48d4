"""Job runner on Dask distributed: training runs as Dask tasks, results written by the client.

A *task* (:class:`Task`) is one training run: a ``TrainConfig`` as a dict, the result file
it ends in and the extra keys that file gets.  :func:`run` executes tasks on a Dask cluster
and writes each result as soon as its task finishes::

    from gtp.experiments.dask_runner import Task, run
    run(lambda: [Task("a", "results/x/a.json", cfg.to_dict())], checkpoints="ck")

* Cluster: by default an embedded ``LocalCluster`` on the loopback interface with one
  single-threaded worker process per core (one BLAS thread each: batch-size-1 steps gain
  nothing from threads); ``scheduler="tcp://host:8786"`` uses an existing cluster (its
  workers need this package and the data, e.g. the same ``GTP_DATA_DIR``).  An unreachable
  address raises ``ConnectionError`` naming it after ``connect_timeout`` seconds.
* Results: the client writes each result file atomically (``gtp.engine.records.save_record``)
  when its task finishes, with ``weights_sha256``, a digest of the final weights (equal
  digests = bit-identical training).  A task whose result file says ``finished`` or
  ``diverged`` (with at least the configured epochs) is skipped.
* Checkpoints: the worker trains with ``checkpoint_dir=<checkpoints>/<task id>``, so a
  task whose worker is lost is rescheduled by Dask and resumes from its last finished
  epoch; ``gtp.engine.training`` makes the resumed run bit-identical to an uninterrupted one.
  If the embedded cluster is left with no worker at all (a nanny does not restart a worker
  that dies while it is still starting, which happens on a loaded machine), the runner
  starts new ones after ``worker_watch.WORKERLESS_GRACE`` seconds instead of waiting forever.
* Dependencies: ``ready`` is a callable returning the tasks that can run now; it is called
  again after every finished task, so plans whose later tasks depend on earlier results
  (validation searches, successive halving, final runs) unfold as results arrive.
* Progress: a tqdm bar with jobs done / total and a time-left estimate weighted by each
  task's ``cost`` (e.g. its number of training examples); the dashboard address is logged
  when the scheduler has one (it needs ``bokeh``; without it the runner says so and goes on).
* Interrupts: Ctrl-C (SIGINT) stops the run: the client closes the embedded cluster and
  ``run`` raises ``KeyboardInterrupt`` (the command line prints one line and exits with 130).
  The embedded cluster's processes never see SIGINT (no worker tracebacks; they stop when the
  client closes them), and a SIGINT that arrives while the cluster starts or stops is held
  until it has (``interrupts.interrupts_held``): a second Ctrl-C never leaves a half-closed cluster.
  Result files are written atomically: an interrupt never leaves a partial one.
"""
import dataclasses
import functools
import hashlib
import os
import time

from ..engine import records as R
from .interrupts import interrupts_held, quiet, sigint_blocked
from .worker_watch import workers_kept

__all__ = ["Task", "run", "execute", "is_done", "connect", "toy_splits", "weights_digest", "checkpoint_epochs",
           "SchedulerLost"]

#: environment of the embedded cluster's worker processes: one BLAS thread each
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclasses.dataclass(frozen=True)
class Task:
    """One training run.

    id: unique name (also the checkpoint sub-folder).  path: result JSON (``None``: no
    file; the caller gets the record through ``run``'s ``on_result``).  config:
    ``TrainConfig.to_dict()``.  extra: keys added to the result file (or a callable
    ``extra(record) -> dict``, called by the client).  data: a picklable
    callable ``data(dataset) -> splits dict`` run on the worker (default
    ``gtp.engine.training.load_splits``).  splits: the splits the run may see (a search passes
    ``("train", "validation")``: the test split is never loaded).  priority: higher runs
    first.  cost: relative size, for the time-left estimate.  checkpoint: checkpoint
    sub-folder (default: id); tasks that extend the same run (more epochs) share it.
    replace: run even when ``path`` holds a finished run (the plan found it stale, e.g. of
    another configuration).  work: a picklable ``work(config, checkpoint_dir, data, splits)``
    run on the worker instead of training (:func:`execute`), returning a JSON-serialisable
    dict (e.g. a measurement that trains a little first); the client passes it to the
    plan's ``on_result``.
    """
    id: str
    path: object
    config: dict
    extra: dict = dataclasses.field(default_factory=dict)
    data: object = None
    splits: tuple = ("train", "validation", "test")
    priority: int = 0
    cost: float = 1.0
    checkpoint: str = None
    replace: bool = False
    work: object = None

    @property
    def checkpoint_name(self):
        """Checkpoint sub-folder: ``checkpoint`` (tasks that continue one run share it) or id."""
        return self.checkpoint or self.id


def is_done(path, epochs=None):
    """True if ``path`` holds a finished (with at least ``epochs`` epochs) or diverged run.
    Reads result files of every format this project wrote (v1 tables, searches, v2)."""
    rec = R.read_result(path)          # missing or corrupt (reported): not done, the job reruns
    if rec is None:
        return False
    if rec.get("status") == "diverged":
        return True
    if rec.get("status") != "finished":
        return False
    return epochs is None or rec.get("config", {}).get("epochs", 0) >= epochs


def weights_digest(W):
    """SHA-256 of the weight arrays (dtype, shape and bytes): equal digests, equal weights."""
    h = hashlib.sha256()
    for w in W:
        h.update(f"{w.dtype.str}{w.shape}".encode())
        h.update(w.tobytes(order="C"))
    return h.hexdigest()


def toy_splits(dataset, n_train=400, n_val=100, n_test=100, d=12, k=3):
    """A tiny synthetic classification problem (noisy prototypes in [0, 1]^d), for tests and
    benchmarks of the runner; ``dataset`` only names it."""
    import numpy as np
    protos = np.random.default_rng(0).random((k, d))

    def split(n, seed):
        rng = np.random.default_rng(seed)
        y = rng.integers(0, k, n)
        X = np.clip(protos[y] + 0.2 * rng.standard_normal((n, d)), 0, 1)
        return X.astype(np.float32), y
    return {"train": split(n_train, 1), "validation": split(n_val, 2), "test": split(n_test, 3)}


def _key(data):
    """Cache key of a data callable: ``functools.partial`` objects compare by value (each
    task unpickles its own copy), everything else by identity."""
    if isinstance(data, functools.partial):
        try:
            key = ("partial", data.func, data.args, tuple(sorted(data.keywords.items())))
            hash(key)
            return key
        except TypeError:
            pass
    return data


_CACHE = {}


def _splits(data, dataset, splits):
    """The splits of ``dataset`` a task may see, loaded once per worker (two data sets kept)."""
    key = (_key(data), dataset, tuple(splits))
    if key in _CACHE:
        return _CACHE[key]
    if data is None:
        from .. import data as D
        out = {s: (D.load(dataset, split=s) if s in splits else None)
               for s in ("train", "validation", "test")}
    else:
        out = data(dataset)
        out = {s: (out[s] if s in splits else None) for s in ("train", "validation", "test")}
    while len(_CACHE) >= 2:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = out
    return out


class SchedulerLost(RuntimeError):
    """The worker lost its scheduler while training: the run stopped (its last checkpoint
    is kept) instead of training on for nobody."""


class _SchedulerWatch:
    """``stop`` for ``train`` on a Dask worker: set once the worker is no longer running
    (its scheduler is gone and it is closing).  Looks every ``every`` polls (a poll is one
    training step), so the hot loop pays an integer increment."""

    def __init__(self, worker=None, every=64):
        if worker is None:
            try:
                from distributed import get_worker
                worker = get_worker()
            except (ImportError, ValueError):
                worker = None
        self.worker, self.every, self.n, self.lost = worker, every, 0, False

    def is_set(self):
        if self.worker is None or self.lost:
            return self.lost
        self.n += 1
        if self.n % self.every:
            return False
        status = getattr(self.worker.status, "name", str(self.worker.status))
        self.lost = status not in ("running", "paused", "closing_gracefully", "init", "undefined")
        return self.lost


def execute(config, checkpoint_dir, data=None, splits=("train", "validation", "test")):
    """Run (or resume) one training run on a worker; returns its record without the
    weights, plus ``weights_sha256``.  One BLAS thread (``threadpoolctl``).  A worker that
    loses its scheduler stops training (``SchedulerLost``; the checkpoint is kept)."""
    from threadpoolctl import threadpool_limits

    from ..engine.training import TrainConfig, train
    cfg = TrainConfig.from_dict(config)
    watch = _SchedulerWatch()
    with threadpool_limits(limits=1, user_api="blas"):
        rec = train(cfg, data=_splits(data, cfg.dataset, tuple(splits)),
                    checkpoint_dir=checkpoint_dir, progress=False, stop=watch)
    if watch.lost:
        raise SchedulerLost(f"{checkpoint_dir}: the worker lost its scheduler; training stopped at its last "
                            f"checkpoint (run the experiment again to resume)")
    W = rec.pop("weights")
    rec.pop("state", None)               # a rule's arrays (feedback, inverses): in the checkpoint
    rec["weights_sha256"] = weights_digest(W)
    return rec


def checkpoint_epochs(checkpoint_dir):
    """Full epochs held by the checkpoint in ``checkpoint_dir`` (-1: none or unreadable);
    the runner retries a failed task while this grows."""
    import json

    import numpy as np
    for name in ("checkpoint.npz", "checkpoint.prev.npz"):
        try:
            with np.load(os.path.join(checkpoint_dir, name)) as z:
                rec = json.loads(str(z["record"]))
            return max((e["epoch"] for e in rec["epochs"] if not e.get("partial")), default=-1)
        except Exception:  # noqa: BLE001 - missing or corrupt: the next one, or none
            continue
    return -1


#: a failed task whose checkpoint did not advance is retried this many times before it fails
RETRIES_WITHOUT_PROGRESS = 2


def connect(scheduler=None, n_workers=None, connect_timeout=10, dashboard=True):
    """A ``distributed.Client``: on ``scheduler`` (address) or on a new embedded
    ``LocalCluster`` (``n_workers`` single-threaded worker processes, default one per
    core, loopback only).  Raises ``ConnectionError`` naming an unreachable address."""
    from distributed import Client, LocalCluster
    if scheduler:
        try:
            return Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise ConnectionError(
                f"scheduler: cannot reach the Dask scheduler at {scheduler!r} within "
                f"{connect_timeout} s ({err}); start one (`dask scheduler` and `dask worker "
                f"{scheduler}`) or leave out --scheduler to use an embedded local cluster"
            ) from None
    n = n_workers or os.cpu_count() or 1
    # the scheduler's HTTP server always runs: on a free loopback port, never the shared 8787
    with sigint_blocked():
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address="127.0.0.1:0", env=dict(WORKER_ENV),
                               preload=["gtp.experiments.interrupts"],      # workers ignore SIGINT
                               scheduler_kwargs=None if dashboard else {"dashboard": False})
        client = Client(cluster)
    client._gtp_owns_cluster = True
    return client


def _has_bokeh():
    import importlib.util
    return importlib.util.find_spec("bokeh") is not None


def dashboard_address(client):
    """The dashboard URL, or ``None`` if the scheduler has none: no HTTP service, or no
    ``bokeh`` where the scheduler runs (it then serves only a page asking for bokeh)."""
    try:
        info = client.scheduler_info(n_workers=0)
    except TypeError:                                  # older distributed: no n_workers
        info = client.scheduler_info()
    if info.get("services", {}).get("dashboard") is None:
        return None
    try:
        if not client.run_on_scheduler(_has_bokeh):
            return None
    except Exception:  # noqa: BLE001 - a diagnostic only: show the link when unsure
        pass
    return client.dashboard_link


def _close(client):
    cluster = client.cluster if getattr(client, "_gtp_owns_cluster", False) else None
    client.close()
    if cluster is not None:
        cluster.close()


class _Bar:
    """tqdm bar of jobs done / total with a time left weighted by the tasks' cost."""

    def __init__(self, enabled, total, total_cost=None, done=(0, 0.0)):
        self.t0, self.cost_done, self.cost_left = time.time(), 0.0, 0.0
        self.total_cost = None if total_cost is None else total_cost - done[1]
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, initial=done[0], unit="job", dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} jobs [{elapsed}{postfix}]")

    def add(self, cost, n_open):
        """A task was submitted; ``n_open`` tasks are now submitted and unfinished."""
        self.cost_left += cost
        if self.bar is not None and self.bar.n + n_open > (self.bar.total or 0):
            self.bar.total = self.bar.n + n_open
            self.bar.refresh()

    def done(self, cost):
        self.cost_done += cost
        self.cost_left = max(self.cost_left - cost, 0.0)
        if self.bar is not None:
            rate = self.cost_done / max(time.time() - self.t0, 1e-9)
            todo = self.cost_left if self.total_cost is None else self.total_cost - self.cost_done
            left = max(todo, 0.0) / rate if rate > 0 else float("inf")
            self.bar.set_postfix_str(f"< {_hms(left)} left", refresh=False)
            self.bar.update(1)

    def skip(self, cost):
        """A task was already done: count it, without time."""
        if self.total_cost is not None:
            self.total_cost -= cost
        if self.bar is not None:
            self.bar.update(1)

    def write(self, message):
        if self.bar is not None:
            self.bar.write(message)
        return self.bar is not None

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _hms(s):
    if s == float("inf"):
        return "?"
    s = int(s)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def run(ready, checkpoints, scheduler=None, n_workers=None, client=None, log=print,
        progress=True, total=None, total_cost=None, done=(0, 0.0), connect_timeout=10, on_result=None):
    """Run every task ``ready()`` yields until it yields no unfinished task.

    ``ready()``: the tasks that can run now (finished ones are skipped, so it may return
    them again).  ``checkpoints``: folder of the per-task checkpoint folders.  ``client``:
    an existing ``distributed.Client`` (else :func:`connect` with ``scheduler``,
    ``n_workers``, ``connect_timeout``).  ``total``: the expected number of jobs for the
    progress bar, ``total_cost`` their summed ``cost`` (for the time left; default: that of
    the submitted jobs), ``done`` the ``(number, cost)`` of those jobs finished before this
    call that ``ready()`` no longer yields (yielded finished ones are counted as skipped).
    ``on_result(task, record)`` is called after each result is written.
    Returns ``{"ran": n, "skipped": n, "failed": {task id: error}}``; a failed task (an
    exception in training) is logged and left without a result file.
    """
    from distributed import as_completed

    own = client is None
    stats = {"ran": 0, "skipped": 0, "failed": {}}
    bar, interrupted = None, False
    try:
        if own:
            with interrupts_held():            # a Ctrl-C now stops the run once the cluster is up
                client = connect(scheduler, n_workers, connect_timeout)
            url = dashboard_address(client)
            log(f"Dask scheduler {client.scheduler.address}, "
                f"{len(client.scheduler_info().get('workers', {}))} worker(s); " +
                (f"dashboard: {url}" if url else "no dashboard (pip install bokeh on the scheduler's "
                                                  "machine to get one)"))
        seen, futures = set(), {}
        pool = as_completed()
        bar = _Bar(progress, total, total_cost, done)
        say = log if log is not print else (lambda m: bar.write(m) or print(m, flush=True))

        tries = {}                     # task id -> (checkpoint epochs at the last failure, stalls)

        def submit(task, attempt=0):
            ckpt = os.path.join(checkpoints, task.checkpoint_name)
            fut = client.submit(task.work or execute, task.config, ckpt, task.data, tuple(task.splits),
                                key=f"gtp-{task.id}" + (f"-retry{attempt}" if attempt else ""),
                                priority=task.priority, pure=False)
            futures[fut] = task
            pool.add(fut)

        def retry(task, err):
            """A lost worker (or Dask's allowed failures) must not fail a run whose checkpoint
            keeps advancing: resubmit it; fail only after RETRIES_WITHOUT_PROGRESS stalls."""
            from distributed import KilledWorker
            if not isinstance(err, (KilledWorker, SchedulerLost)):
                return False
            epochs = checkpoint_epochs(os.path.join(checkpoints, task.checkpoint_name))
            last, stalls, n = tries.get(task.id, (-1, 0, 0))
            stalls = 0 if epochs > last else stalls + 1
            if stalls > RETRIES_WITHOUT_PROGRESS:
                return False
            tries[task.id] = (max(epochs, last), stalls, n + 1)
            say(f"{task.id}: worker lost ({type(err).__name__}); resubmitted from its checkpoint "
                f"(epoch {max(epochs, 0)})")
            submit(task, n + 1)
            return True

        def submit_ready():
            for task in ready():
                if task.id in seen:
                    continue
                seen.add(task.id)
                if task.path is not None and not task.replace and \
                        is_done(task.path, task.config.get("epochs")):
                    stats["skipped"] += 1
                    bar.skip(task.cost)
                    continue
                submit(task)
                bar.add(task.cost, len(futures))

        submit_ready()
        with workers_kept(client, say):
            for fut in pool:
                task = futures.pop(fut)
                try:
                    rec = fut.result()
                except Exception as err:  # noqa: BLE001 - one failed run must not stop the others
                    fut.release()
                    if retry(task, err):
                        continue
                    stats["failed"][task.id] = f"{type(err).__name__}: {err}"
                    say(f"{task.id}: FAILED ({type(err).__name__}: {err})")
                    bar.done(task.cost)
                    continue
                fut.release()
                if task.path is not None:
                    R.save_record(task.path, rec, **(task.extra(rec) if callable(task.extra) else task.extra))
                stats["ran"] += 1
                bar.done(task.cost)
                sel = rec.get("selection") or {}
                say(f"{task.id}: {rec.get('status', 'done')}" + (
                    f", best val {sel['val_acc_at_best']:.4f} at epoch {sel['best_epoch']}"
                    if sel else "") + f" ({rec.get('wall_time', 0):.0f} s)")
                if on_result is not None:
                    on_result(task, rec)
                submit_ready()
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if bar is not None:
            bar.close()
        if own and client is not None:
            with interrupts_held(), quiet(interrupted):   # a second Ctrl-C must not leave it half-closed
                _close(client)
    return stats

