"""The embedded cluster's workers, kept: ``dask_runner.run`` watches a ``LocalCluster`` it
runs on and starts new workers when it is left with none.

distributed 2026.11's nanny does not restart a worker that dies while the nanny is still
starting it; on a loaded machine that left a run (and ``tests/test_failsafe_cluster.py``)
waiting for a worker that never came.  Imports only the standard library.
"""
import contextlib
import threading
import time

__all__ = ["WORKERLESS_GRACE", "RESCALE_WAIT", "live_processes", "workers_kept"]

#: seconds an embedded cluster may have no worker (registered, running or starting) before
#: new ones start
WORKERLESS_GRACE = 20.0
#: after starting new workers, the least time to wait for them before trying again (a
#: loaded machine takes tens of seconds to start one)
RESCALE_WAIT = 120.0


def live_processes(cluster):
    """Worker processes of an embedded cluster that are running or starting (a nanny that
    restarts its worker counts from the moment the new process exists)."""
    return sum(1 for nanny in list(getattr(cluster, "workers", {}).values())
               if getattr(nanny, "process", None) is not None and nanny.process.is_alive())


@contextlib.contextmanager
def workers_kept(client, say, poll=1.0):
    """While the body runs, watch an embedded cluster (``client.cluster``, as from
    ``dask_runner.connect``): when for ``WORKERLESS_GRACE`` seconds no worker is registered and no
    worker process is running or starting, replace its workers.  Without this a run whose
    only worker died while starting (its nanny then skips the restart) waited forever for a
    worker that never came.  A slow restart on a loaded machine is left alone: its process
    exists while it starts; and after starting new workers the watcher waits at least
    ``RESCALE_WAIT`` before it tries again (the cluster lists them only once started)."""
    cluster = getattr(client, "cluster", None)
    if cluster is None or not hasattr(cluster, "scale"):
        yield
        return
    stop = threading.Event()

    def watch():
        since, grace = None, WORKERLESS_GRACE
        while not stop.wait(poll):
            try:
                n = len(client.scheduler_info().get("workers", {})) or live_processes(cluster)
            except Exception:  # noqa: BLE001 - a closing client: the run ends anyway
                return
            if n:
                since, grace = None, WORKERLESS_GRACE
                continue
            since = since or time.monotonic()
            if time.monotonic() - since >= grace and not stop.is_set():
                want = max(len(cluster.worker_spec), 1)
                say(f"no worker for {grace:.0f} s: the embedded cluster starts {want} new one(s)")
                # close the dead workers first: scale(want) right after scale(0) restores the
                # same spec before the cluster acts on it, and nothing changes
                cluster.scale(0)
                t0 = time.monotonic()
                while cluster.workers and time.monotonic() - t0 < RESCALE_WAIT and not stop.is_set():
                    time.sleep(0.1)
                cluster.scale(want)
                # the cluster lists a new worker only once it has started: give it time
                since, grace = None, max(4 * grace, RESCALE_WAIT)

    t = threading.Thread(target=watch, name="gtp-workers-kept", daemon=True)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join()
