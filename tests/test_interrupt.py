"""Ctrl-C on ``python -m gtp run`` (issue #28), in a real subprocess on a real LocalCluster:
SIGINT sent to the whole process group, as a terminal sends it, in the middle of a run and
while the run is shutting down, once and twice.  Every case ends with one line on stderr and
exit status 130, no traceback, no partial or corrupt result file and no process left; a
rerun resumes and ends with results bit-identical to an undisturbed run."""
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from gtp.experiments import dask_runner as runner
from gtp.experiments import interrupts

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = {"TOY_JOBS": "4", "TOY_EPOCHS": "8", "TOY_N": "2000"}
MESSAGE = "interrupted: finished runs are kept; run the same command again to resume"

sys.path.insert(0, HERE)
import toy_cli  # noqa: E402 - the toy experiment's configs, as the subprocess builds them


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Digests of the four toy runs trained undisturbed, in this process."""
    ck = tmp_path_factory.mktemp("ref")
    return {f"toy-{s}": runner.execute(toy_cli.config(s), str(ck / str(s)), toy_cli.DATA)["weights_sha256"]
            for s in range(4)}


class Cli:
    """``tests/toy_cli.py run toy`` in its own session (its own process group, so that a
    signal to the group reaches the client, its nannies and its workers, like Ctrl-C)."""

    def __init__(self, root, hold=0.0):
        env = dict(os.environ, **ENV, TOY_HOLD=str(hold), PYTHONPATH=HERE)
        self.p = subprocess.Popen([sys.executable, os.path.join(HERE, "toy_cli.py"), "run", "toy", "--root",
                                   str(root), "--workers", "1", "--no-progress"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
        self.lines, self.out, self.err = queue.Queue(), [], []
        self.readers = [threading.Thread(target=self._read, args=(self.p.stdout, self.lines.put), daemon=True),
                        threading.Thread(target=self._read, args=(self.p.stderr, self.err.append), daemon=True)]
        [t.start() for t in self.readers]

    @staticmethod
    def _read(stream, put):
        for line in stream:
            put(line)

    def wait_for(self, text, timeout=240):
        end = time.time() + timeout
        while time.time() < end:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.p.poll() is None, f"exited ({self.p.returncode}) before {text!r}: {self.out}"
                continue
            self.out.append(line)
            if text in line:
                return
        raise AssertionError(f"no {text!r} within {timeout} s: {self.out}")

    def interrupt(self):
        os.killpg(self.p.pid, signal.SIGINT)

    def finish(self, timeout=240):
        """Exit status and stderr, once the client has exited (and every process holding its
        pipes: a worker left behind fails here)."""
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            raise
        for t in self.readers:
            t.join(30)
            assert not t.is_alive(), "a process of the run still holds its output open"
        while not self.lines.empty():
            self.out.append(self.lines.get())
        return self.p.returncode, "".join(self.err)

    def group_gone(self, timeout=30):
        """No process of the group is left (workers, nannies, the resource tracker)."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                os.killpg(self.p.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.2)
        return False


def results(root):
    """The result files, each a complete record; no temporary file beside them."""
    folder = root / "toy"
    names = sorted(os.listdir(folder)) if folder.exists() else []
    assert all(n.endswith(".json") and not n.startswith(".") for n in names), names
    return {n[:-5]: json.load(open(folder / n)) for n in names}


def assert_interrupted(code, err, cli):
    assert code == 130, (code, err, cli.out)
    assert err.splitlines() == [MESSAGE], err
    assert cli.group_gone(), "processes of the interrupted run are still alive"


def rerun_matches(root, reference, already):
    """Run again, undisturbed: it ends normally, and every result is finished and equal to
    the undisturbed run's."""
    cli = Cli(root)
    code, err = cli.finish()
    assert code == 0 and "Traceback" not in err, (code, err)
    assert f"done: {4 - already} run(s)" in "".join(cli.out), cli.out
    recs = results(root)
    assert sorted(recs) == sorted(reference)
    for name, rec in recs.items():
        assert rec["status"] == "finished" and rec["weights_sha256"] == reference[name], name
    return recs


def test_ctrl_c_mid_run_and_while_shutting_down_then_the_rerun_resumes(tmp_path, reference):
    root = tmp_path / "results"
    root.mkdir()
    # 1. Ctrl-C in the middle of the run, and again while the cluster closes
    cli = Cli(root, hold=3.0)
    cli.wait_for("toy-0: finished")
    cli.interrupt()                                    # toy-1 is training
    cli.wait_for("shutting down")
    cli.interrupt()
    code, err = cli.finish()
    assert_interrupted(code, err, cli)
    done = results(root)
    assert "toy-0" in done and "toy-3" not in done and all(r["status"] == "finished" for r in done.values())
    first = done["toy-0"]
    # 2. the rerun resumes; Ctrl-C twice while it shuts down after its last result
    cli = Cli(root, hold=3.0)
    cli.wait_for("toy-3: finished")
    cli.wait_for("shutting down")
    cli.interrupt()
    time.sleep(0.5)
    cli.interrupt()
    code, err = cli.finish()
    assert_interrupted(code, err, cli)
    assert "toy-0: finished" not in "".join(cli.out)  # a finished run is never run again
    # 3. every result is complete and bit-identical to an undisturbed run; nothing is left to run
    recs = rerun_matches(root, reference, already=4)
    assert recs["toy-0"] == first


def test_interrupts_held_raise_once_the_block_is_done():
    """The runner's guard around the cluster's start and stop: a SIGINT inside is held (the
    block finishes), then raised as KeyboardInterrupt; an error cut short by it is the interrupt."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are handled in the main thread only")
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts.interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            steps.append("finished")
    assert steps == ["finished"] and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        with interrupts.interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            raise RuntimeError("Nanny failed to start")
    with pytest.raises(RuntimeError):                  # without an interrupt, the error itself
        with interrupts.interrupts_held():
            raise RuntimeError("Nanny failed to start")
    with interrupts.interrupts_held():                    # nothing arrived: nothing raised
        steps.append("quiet")
    assert steps == ["finished", "quiet"]
