"""Ctrl-C and the Dask runner (``dask_runner``): one interrupt, one line, nothing half-done.

A terminal sends SIGINT to its whole foreground process group: the client, and the processes
of the embedded ``LocalCluster`` it started.  Only the client should act on it: it stops the
run, closes the cluster and raises ``KeyboardInterrupt`` (the command line prints one line
and exits with 130).  So the workers are born with SIGINT blocked (``sigint_blocked``) and
ignore it once started (``dask_setup``, the cluster's preload, which also covers a worker a
nanny restarts), and the client holds SIGINT while the cluster starts or stops
(``interrupts_held``), quietly after an interrupt (``quiet``).  Issue #28: before, a Ctrl-C
printed the workers' KeyboardInterrupt tracebacks, and a second one while the cluster closed
killed the client by SIGINT (status -2) with the cluster half-closed.

Imports only the standard library (the workers import it as their preload).
"""
import contextlib
import signal
import threading

__all__ = ["dask_setup", "sigint_blocked", "interrupts_held", "quiet"]


def _not_a_close_cancel(record):
    """Drop distributed's "Async instruction ... ended with CancelledError": the warning a
    worker closed by its client in the middle of a task logs (by design, says distributed)."""
    return not record.getMessage().endswith("ended with CancelledError")


def _not_a_closing_heartbeat(record):
    """Drop "Failed to communicate with scheduler during heartbeat": an embedded cluster's
    scheduler lives in the client's process, so it is gone only when the client closes the
    cluster, and a worker still heartbeating then logs this with a traceback (seen on a
    loaded machine after a Ctrl-C)."""
    return not record.getMessage().startswith("Failed to communicate with scheduler during heartbeat")


def dask_setup(worker):
    """Preload of the embedded cluster's workers (``dask_runner.connect``): a worker ignores
    SIGINT, which a Ctrl-C at the terminal sends to the whole process group (the client stops
    the run and closes the workers, which ``connect`` started with SIGINT blocked already), and
    does not log the expected cancellation of its task when it is closed mid-task, nor the
    failed heartbeats while the cluster closes."""
    import logging
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("distributed.worker.state_machine").addFilter(_not_a_close_cancel)
    logging.getLogger("distributed.worker").addFilter(_not_a_closing_heartbeat)


@contextlib.contextmanager
def sigint_blocked():
    """Block SIGINT in the calling thread while the embedded cluster starts: the threads
    the cluster starts meanwhile inherit the blocked signal mask, and so do the worker
    processes they spawn (also those a nanny restarts later), so a Ctrl-C at the terminal,
    sent to the whole process group, reaches only the client, which then closes the workers.
    A SIGINT that arrives meanwhile is delivered when the block ends.  multiprocessing's
    resource tracker is started first: starting it unblocks SIGINT in the thread that does
    (bpo-33613), which would otherwise be the cluster's event loop."""
    if not hasattr(signal, "pthread_sigmask"):             # Windows: no signal masks
        yield
        return
    from multiprocessing import resource_tracker
    resource_tracker.ensure_running()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def interrupts_held():
    """Hold SIGINT while the embedded cluster starts or stops, and raise ``KeyboardInterrupt``
    at the end if one (or more) arrived: an interrupt inside ``dask_runner.connect`` or
    ``dask_runner._close`` would leave a half-started or half-closed cluster for Python's exit
    to close (itself interrupted by a second Ctrl-C: the client died of SIGINT, status -2,
    instead of exiting with 130).  An error meanwhile (a start cut short) is reported as the
    interrupt.  Outside the main thread signals cannot be handled: nothing is held."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    except Exception:
        if caught:
            raise KeyboardInterrupt from None
        raise
    finally:
        signal.signal(signal.SIGINT, old)
    if caught:
        raise KeyboardInterrupt



@contextlib.contextmanager
def quiet(enabled=True):
    """No log records up to ERROR while an interrupted run closes its cluster: the nanny's
    "still alive after 4 s, killing" and the like say nothing the reader needs after Ctrl-C."""
    import logging
    if not enabled:
        yield
        return
    logging.disable(logging.ERROR)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)
