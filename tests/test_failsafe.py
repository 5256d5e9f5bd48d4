"""Bad input, tried as a user would (issue #28): every entry point answers with a clear error
that names the input, the problem and the fix, or does the right thing.  One table per entry
point; each row is (what is wrong, the call, the words the message must hold)."""
import os
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import gtp
from gtp import cli
from gtp.engine import checkpoints as CK
from gtp.engine import records as R
from gtp.engine.kernels import FastNet
from gtp.engine.training import TrainConfig, train
from gtp.experiments import dask_runner as runner
from gtp.maths import decomposition, dynamics


def cfg(**kw):
    base = dict(dataset="toy", sizes=(12, 8, 3), acts="sigmoid", rule="gtp", tau=1.0, eta=0.2, epochs=2,
                seed=0, n_eval_train=50, n_probe=8)
    base.update(kw)
    return TrainConfig(**base)


DATA = runner.toy_splits("toy", n_train=200, n_val=50, n_test=20)


def with_split(split, X=None, y=None):
    d = dict(DATA)
    X0, y0 = d[split]
    d[split] = (X0 if X is None else X, y0 if y is None else y)
    return d


def _nan_rows():
    X = DATA["train"][0].copy()
    X[5, 3] = np.nan
    return X


# ------------------------------------------------------------------ train(): data and config
TRAIN_CASES = [
    ("uint8 images 0-255", lambda: train(cfg(), data=with_split(
        "train", X=(DATA["train"][0] * 255).astype(np.uint8)), progress=False), ["data['train']", "X / 255"]),
    ("float images 0-255000", lambda: train(cfg(), data=with_split(
        "train", X=DATA["train"][0] * 255000), progress=False), ["data['train']", "scale"]),
    ("labels 1.7", lambda: train(cfg(), data=with_split(
        "train", y=DATA["train"][1] + 0.7), progress=False), ["labels", "integer", ".7"]),
    ("string labels", lambda: train(cfg(), data=with_split(
        "train", y=DATA["train"][1].astype(str)), progress=False), ["labels", "integer"]),
    ("label out of range", lambda: train(cfg(), data=with_split(
        "train", y=DATA["train"][1] + 3), progress=False), ["labels", "0..2"]),
    ("empty split", lambda: train(cfg(), data=with_split(
        "validation", X=DATA["validation"][0][:0], y=DATA["validation"][1][:0]), progress=False),
     ["data['validation']", "empty"]),
    ("NaN in training rows", lambda: train(cfg(), data=with_split("train", X=_nan_rows()), progress=False),
     ["data['train']", "NaN", "row 5"]),
    ("NaN initial weights", lambda: train(cfg(), data=DATA, progress=False,
                                          weights=[np.full((8, 12), np.nan), np.zeros((3, 8))]),
     ["weights[0]", "NaN"]),
    ("weights of the wrong shape", lambda: train(cfg(), data=DATA, progress=False,
                                                 weights=[np.zeros((8, 11)), np.zeros((3, 8))]),
     ["weights:", "(8, 12)"]),
    ("sizes 8.9", lambda: cfg(sizes=(12, 8.9, 3)), ["sizes", "8.9"]),
    ("tau 'abc'", lambda: cfg(tau="abc"), ["tau", "'abc'"]),
    ("tau NaN", lambda: cfg(tau=float("nan")), ["tau", "finite"]),
    ("tau 1e30", lambda: cfg(tau=1e30), ["tau", "1e+30", "above the cap 1e+06", "25 to 400"]),
    ("tau 1e30 for one layer", lambda: cfg(sizes=(12, 8, 8, 3), tau=[1.0, 1e30]), ["tau", "hidden layer 2"]),
    ("gain eta x tau above float32", lambda: cfg(sizes=(12, 8, 8, 3), tau=1e6, eta=1e27),
     ["eta", "W[0]", "1e+39", "float32"]),
    ("mistyped config key", lambda: train({**cfg().to_dict(), "epoch": 3}, data=DATA, progress=False),
     ["'epoch'", "did you mean 'epochs'"]),
    ("epochs -1", lambda: cfg(epochs=-1), ["epochs", ">= 0"]),
]


@pytest.mark.parametrize("what, call, words", TRAIN_CASES, ids=[c[0] for c in TRAIN_CASES])
def test_train_rejects_bad_input_by_name(what, call, words):
    with pytest.raises(ValueError) as err:
        call()
    for w in words:
        assert w in str(err.value), (what, str(err.value))


def test_clean_float_data_still_trains():
    rec = train(cfg(epochs=1), data=DATA, progress=False)
    assert rec["status"] == "finished" and rec["epochs"][-1]["val_acc"] > 0.3


def test_integer_valued_float_labels_are_accepted():
    d = with_split("train", y=DATA["train"][1].astype(float))
    rec = train(cfg(epochs=1), data=d, progress=False)
    assert rec["status"] == "finished"


# ------------------------------------------------------------------ the maths and the kernels
W0 = [np.full((4, 5), 0.1), np.full((3, 4), 0.1)]


def _w(dtype=float, nan=False):
    W = [w.astype(dtype) for w in W0]
    if nan:
        W[1][0, 0] = np.nan
    return W


MATHS_CASES = [
    ("int64 weights", lambda: gtp.gtp_step(_w(np.int64), np.ones(5) / 5, 1, tau=1.0, eta=0.1),
     ["W[0]", "floating-point", "astype(float)"]),
    ("NaN weights in gtp_step", lambda: gtp.gtp_step(_w(nan=True), np.ones(5) / 5, 1, tau=1.0, eta=0.1),
     ["W[1]", "NaN", "not a divergence"]),
    ("tau 'abc' in gtp_step", lambda: gtp.gtp_step(_w(), np.ones(5) / 5, 1, tau="abc", eta=0.1), ["tau"]),
    ("tau 1e30 in gtp_step", lambda: gtp.gtp_step(_w(), np.ones(5) / 5, 1, tau=1e30, eta=0.01),
     ["tau", "1e+30", "cap 1e+06"]),
    ("tau 1e30 in targets", lambda: gtp.targets(_w(), *gtp.forward(_w(), np.ones(5) / 5), 1, tau=1e30),
     ["tau", "cap"]),
    ("tau 1e30 in euler_target", lambda: gtp.euler_target(W0[1], np.ones(4), np.ones(3), tau=1e30),
     ["tau", "cap"]),
    ("tau 1e30 in FastNet", lambda: FastNet(_w(), "sigmoid", "gtp", tau=1e30), ["tau", "cap"]),
    ("tau 1e30 in layer_gains", lambda: decomposition.layer_gains(3, 1e30), ["tau", "cap"]),
    ("tau 1e30 in term_shares", lambda: decomposition.term_shares(
        _w(), np.ones((1, 5)) / 5, [1], [1.0, 1e30]), ["tau", "cap"]),
    ("tau 1e7 in euler_vs_exact", lambda: dynamics.euler_vs_exact(tau=1e7), ["tau", "cap"]),
    ("tau^(L-1) above float32", lambda: decomposition.layer_gains(8, 1e6),
     ["tau", "product of the 7 hidden layers' taus", "1e+42"]),
    ("gain eta x tau in FastNet", lambda: FastNet(_w(), "sigmoid", "gtp", tau=1e6, eta=1e33),
     ["eta", "W[0]", "float32"]),
    ("label out of range in one_hot", lambda: gtp.one_hot(7, 3), ["label", "0..2"]),
    ("float label in one_hot", lambda: gtp.one_hot(1.7, 3), ["label", "integer"]),
    ("NaN input to FastNet.step", lambda: FastNet(_w(), "sigmoid", "gtp").step(np.full(5, np.nan), 1),
     ["x", "NaN"]),
    ("label out of range in FastNet.step", lambda: FastNet(_w(), "sigmoid", "gtp").step(np.ones(5), 9),
     ["label", "0..2"]),
    ("NaN weights in FastNet", lambda: FastNet(_w(nan=True), "sigmoid", "gtp"), ["W[1]", "NaN"]),
]


@pytest.mark.parametrize("what, call, words", MATHS_CASES, ids=[c[0] for c in MATHS_CASES])
def test_maths_and_kernels_reject_bad_input_by_name(what, call, words):
    with pytest.raises(ValueError) as err:
        call()
    assert not isinstance(err.value, gtp.DivergenceError)
    for w in words:
        assert w in str(err.value), (what, str(err.value))


def test_tau_up_to_its_cap_is_accepted_and_only_rules_that_read_tau_check_gains():
    """The caps are inclusive and bind GTP only: the grids' 4000, TAU_MAX itself and a gain of
    exactly float32's largest number train; backprop does not read tau, so its eta is free."""
    from gtp.maths.validation import GAIN_MAX, TAU_MAX, check_tau
    assert TAU_MAX == 1e6 and GAIN_MAX == float(np.finfo(np.float32).max)
    assert check_tau(TAU_MAX, 2) == [TAU_MAX] and check_tau([4000.0, 0.5], 3) == [4000.0, 0.5]
    assert check_tau(1e6, 3, eta=GAIN_MAX / 1e12) == [1e6, 1e6]          # gain exactly GAIN_MAX
    with pytest.raises(ValueError, match="gain of W\\[0\\]"):
        check_tau(1e6, 3, eta=GAIN_MAX / 1e12 * 1.01)
    assert check_tau(1e6, 1, eta=GAIN_MAX) == [1e6]       # one layer: no hidden layer, no tau in the gain
    W = _w()
    FastNet(W, "sigmoid", "backprop", tau=1e6, eta=1e36)   # backprop's gain is eta, not eta tau
    assert cfg(rule="backprop", tau=1e6, eta=1e36).tau == 1e6
    with pytest.raises(ValueError, match="tau: 2e\\+06 is above the cap"):
        cfg(rule="backprop", tau=2e6)                       # the probe cosines still read tau
    gtp.gtp_step(W, np.ones(5) / 5, 1, tau=TAU_MAX, eta=0.01)
    assert all(np.isfinite(w).all() for w in W)


def test_fastnet_run_checks_labels_once_and_still_trains():
    net = FastNet(_w(), "sigmoid", "gtp", tau=1.0, eta=0.1)
    X, y = np.full((4, 5), 0.2), np.array([0, 1, 2, 1])
    with pytest.raises(ValueError, match="label"):
        net.run(X, np.array([0, 1, 5, 1]), np.arange(4))
    before = net.W[0].copy()
    assert net.run(X, y, np.arange(4))["seen"] == 4 and not np.array_equal(before, net.W[0])


# ------------------------------------------------------------------ result files and checkpoints
def test_corrupt_and_empty_result_files_are_named_and_skipped(tmp_path):
    (tmp_path / "t").mkdir()
    good = {"status": "finished", "config": {"epochs": 2}, "selection": {"test_acc_at_best": 0.5}}
    R.write_json(tmp_path / "t" / "a.json", good)
    (tmp_path / "t" / "b.json").write_text('{"status": "fin')
    (tmp_path / "t" / "c.json").write_text("{}")
    with pytest.warns(R.CorruptResultWarning) as rec:
        out = R.load_results(str(tmp_path), "t")
    assert [os.path.basename(r["_path"]) for r in out] == ["a.json"]
    msgs = " ".join(str(w.message) for w in rec)
    assert str(tmp_path / "t" / "b.json") in msgs and str(tmp_path / "t" / "c.json") in msgs
    with pytest.raises(R.CorruptResultError, match="b.json"):
        R.load_record(tmp_path / "t" / "b.json")
    assert runner.is_done(str(tmp_path / "t" / "b.json")) is False      # its job reruns (reported once)
    (tmp_path / "t" / "d.json").write_text('{"status": "finished", "config": {"epochs": 2}')
    with pytest.warns(R.CorruptResultWarning, match="d.json"):
        assert runner.is_done(str(tmp_path / "t" / "d.json"), 2) is False
    assert runner.is_done(str(tmp_path / "t" / "a.json"), 2) is True


def test_a_corrupt_checkpoint_falls_back_to_the_previous_epoch(tmp_path):
    ck = str(tmp_path / "ck")
    ref = train(cfg(epochs=3), data=DATA, progress=False)
    train(cfg(epochs=2), data=DATA, progress=False, checkpoint_dir=ck)
    assert sorted(os.listdir(ck)) == ["checkpoint.npz", "checkpoint.prev.npz"]
    with open(os.path.join(ck, "checkpoint.npz"), "r+b") as f:
        f.truncate(100)                                        # a truncated write
    with pytest.warns(CK.CorruptCheckpointWarning, match="checkpoint.npz"):
        rec = train(cfg(epochs=3), data=DATA, progress=False, checkpoint_dir=ck)
    assert [e["epoch"] for e in rec["epochs"]] == [0, 1, 2, 3]  # epoch 2 redone from epoch 1's
    assert runner.weights_digest(rec["weights"]) == runner.weights_digest(ref["weights"])
    assert any(n.startswith("checkpoint.npz.corrupt-") for n in os.listdir(ck))


def test_a_nan_checkpoint_is_set_aside_and_the_run_restarts(tmp_path):
    ck = str(tmp_path / "ck")
    rec = train(cfg(epochs=1), data=DATA, progress=False)
    W = [w.copy() for w in rec["weights"]]
    W[0][0, 0] = np.nan
    CK.save_checkpoint(ck, {k: v for k, v in rec.items() if k != "weights"}, W)
    with pytest.warns(CK.CorruptCheckpointWarning, match="NaN"):
        again = train(cfg(epochs=1), data=DATA, progress=False, checkpoint_dir=ck)
    assert again["status"] == "finished" and np.isfinite(again["weights"][0]).all()


def test_a_checkpoint_folder_that_is_a_file_is_named(tmp_path):
    f = tmp_path / "ck"
    f.write_text("x")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        train(cfg(epochs=1), data=DATA, progress=False, checkpoint_dir=str(f))


def test_atomic_write_never_shows_a_partial_file(tmp_path):
    p = tmp_path / "r.json"
    p.write_text("old")
    with R.atomic_write(p) as f:
        f.write("new")
        f.flush()
        assert p.read_text() == "old"               # the target is untouched until the end
    assert p.read_text() == "new"
    with pytest.raises(RuntimeError):
        with R.atomic_write(p) as f:
            f.write("half")
            raise RuntimeError("killed")
    assert p.read_text() == "new" and os.listdir(tmp_path) == ["r.json"]


# ------------------------------------------------------------------ the command line
def run_cli(argv, capsys):
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


CLI_CASES = [
    ("a --nets that matches nothing", ["run", "v2", "--nets", "784-999-10", "--dry-run"], ["--nets", "784-100-10"]),
    ("--table and --nets with no common row", ["run", "v2", "--table", "3", "--nets", "784-100-10", "--dry-run"],
     ["no row", "cifar-10 3072-100-10"]),
    ("--workers -2", ["run", "v2", "--workers", "-2"], ["--workers", ">= 1"]),
    ("--workers 0", ["run", "v2", "--workers", "0"], ["--workers", ">= 1"]),
    ("status --workers 0", ["status", "v2", "--workers", "0"], ["--workers"]),
    ("negative --connect-timeout", ["run", "v2", "--connect-timeout", "-1"], ["--connect-timeout"]),
    ("malformed --scheduler", ["run", "v2", "--scheduler", "tcp//nohost"], ["--scheduler", "tcp://HOST:PORT"]),
    ("missing --root (status)", ["status", "--root", "/nonexistent/results"], ["--root", "not a folder"]),
    ("missing --root (summary)", ["summary", "v2", "--root", "/nonexistent/results"], ["--root"]),
    ("missing --root (dry run)", ["run", "v2", "--root", "/nonexistent/results", "--dry-run"], ["--root"]),
    ("a renamed verb", ["protocol"], ["run v2"]),
]


@pytest.mark.parametrize("what, argv, words", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input_is_one_clear_line(what, argv, words, capsys):
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and err.startswith("error:") and "Traceback" not in err, (what, err)
    for w in words:
        assert w in err, (what, err)


def test_cli_unknown_experiment_lists_the_names(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["run", "v9"])
    assert e.value.code == 2 and "v2" in capsys.readouterr().err


def test_cli_refuses_to_run_into_a_folder_it_cannot_write(tmp_path, capsys):
    """Before training anything (``run twins`` used to train a run, then fail to write it)."""
    root = tmp_path / "results"
    root.mkdir()
    (root / "twins").write_text("a file where the folder should be")     # unwritable, even for root
    code, _, err = run_cli(["run", "twins", "--root", str(root), "--no-progress"], capsys)
    assert code == 2 and "cannot write to" in err and "twins" in err and "Traceback" not in err
    code, _, err = run_cli(["summary", "--root", str(root), "--write", str(root / "twins" / "S.md")], capsys)
    assert code == 2 and "--write" in err and "Traceback" not in err
    os.chmod(root, 0o500)
    try:
        if not os.access(root, os.W_OK):               # not root: permissions hold
            code, _, err = run_cli(["run", "relatives-angles", "--root", str(root)], capsys)
            assert code == 2 and "cannot write to" in err
    finally:
        os.chmod(root, 0o700)


def test_cli_status_reports_a_corrupt_file_and_goes_on(tmp_path, capsys):
    (tmp_path / "v1" / "table1").mkdir(parents=True)
    (tmp_path / "v1" / "table1" / "bad.json").write_text("{not json")
    code, out, err = run_cli(["summary", "v1", "--root", str(tmp_path)], capsys)
    assert code == 0 and "warning:" in err and "bad.json" in err and "Traceback" not in err


def test_dry_run_into_a_closed_pipe_ends_quietly():
    p = subprocess.run(f"{sys.executable} -m gtp list | head -1", shell=True, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0 and "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr


def test_help_does_not_import_the_engine_or_scipy():
    """``python -m gtp --help`` answers without the training engine, scipy or Dask (issue
    #28: it took 2.85 x ``import gtp``); the modules it loads are checked, not its time."""
    code = ("import sys, contextlib, io\nfrom gtp.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try: main(['--help'])\n    except SystemExit: pass\n"
            "print(' '.join(sorted(sys.modules)))")
    mods = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                              check=True).stdout.split())
    assert "gtp.cli" in mods and "gtp.experiments.catalogue" in mods
    for heavy in ("scipy", "gtp.engine.training", "gtp.engine.kernels", "distributed", "dask", "tqdm"):
        assert heavy not in mods, heavy


# ------------------------------------------------------------------ the panel
def test_panel_start_is_safe_under_concurrent_calls():
    from gtp.book.panel_base import RunPanel

    class P(RunPanel):
        runs = 0

        def build_config(self):
            time.sleep(0.001)                  # widen the window between check and claim
            return {"x": 1}

        def describe(self, cfg):
            return "x"

        def run(self, cfg, control):
            type(self).runs += 1
            control.wait(5)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for _ in range(10):
            P.runs = 0
            p = P()
            ts = [threading.Thread(target=p.start) for _ in range(4)]
            [t.start() for t in ts]
            [t.join() for t in ts]
            time.sleep(0.02)
            assert P.runs == 1 and p.running
            stops = [threading.Thread(target=p.stop) for _ in range(3)]
            [t.start() for t in stops]
            [t.join() for t in stops]
            assert p.join(5) and not p.running
    finally:
        sys.setswitchinterval(old)


# ------------------------------------------------------------------ a worker whose scheduler is gone
class _Worker:
    class status:                                   # noqa: N801 - mimics distributed's Status enum
        name = "running"


def test_a_worker_that_lost_its_scheduler_stops_training():
    w = _Worker()
    watch = runner._SchedulerWatch(worker=w, every=4)
    assert not any(watch.is_set() for _ in range(40))
    w.status = type("S", (), {"name": "closing"})
    assert [watch.is_set() for _ in range(4)] == [False, False, False, True] and watch.is_set()
    rec = train(cfg(epochs=50), data=DATA, progress=False, stop=watch)
    assert rec["status"] == "stopped" and len(rec["epochs"]) <= 2


def test_the_warning_filter_of_the_cli_prints_one_line(capsys):
    cli._show_warning("x.json: corrupt (skipped)", R.CorruptResultWarning, "f.py", 1)
    assert capsys.readouterr().err == "warning: x.json: corrupt (skipped)\n"


def test_a_missing_result_file_is_not_reported():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert R.read_result("/nonexistent/x.json") is None     # missing is not corrupt: no warning
