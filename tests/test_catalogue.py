"""One way to run an experiment (gtp.experiments.catalogue, gtp.cli): every experiment is a
description whose plan the runner executes; the committed results are recognised as finished
(nothing is run again); selections that match nothing are errors; protocol v3 picks at the
final horizon among distinct candidates, on toy data end to end."""
import functools
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from gtp import cli
from gtp.engine import records as R
from gtp.experiments import catalogue as C
from gtp.experiments import protocol_v3 as P3
from gtp.experiments.dask_runner import toy_splits
from gtp.maths.paper import ROWS

FINISHED = ("v1", "v1-e20", "v2", "relatives", "diagnostics", "twins", "relatives-angles", "sensitivity")


@pytest.mark.parametrize("name", FINISHED)
def test_committed_experiments_are_finished_and_nothing_would_run(name):
    """The experiments' result folders kept their format: every job of the committed
    experiments counts as finished, so `python -m gtp run NAME` would run nothing."""
    s = C.status(name)
    assert s["jobs"] > 0 and s["left"] == 0 and s["ready"] == 0, s


def test_the_catalogue_describes_every_experiment():
    for e in C.EXPERIMENTS.values():
        assert e.title and e.folder and e.rules and e.seeds and e.epochs, e.name
        module, function = e.plan.split(":")
        assert module and function
    assert {"v1", "v2", "v3", "relatives", "relatives-v3", "relatives-angles", "twins", "sensitivity",
            "diagnostics"} <= set(C.names())


def test_a_selection_that_matches_nothing_is_an_error():
    v2 = C.get("v2")
    assert C.select_rows(v2) is None                         # no filter: the whole design
    assert [r.net for r in C.select_rows(v2, nets=["784-500-500-10"])] == ["784-500-500-10"] * 2
    with pytest.raises(ValueError, match="999-1 is not a network of 'v2'.*784-100-10"):
        C.select_rows(v2, nets=["999-1"])
    with pytest.raises(ValueError, match="no row of 'relatives'.*mnist 784-500-500-10"):
        C.select_rows(C.get("relatives"), tables=[2], nets=["784-500-500-500-10"])
    with pytest.raises(ValueError, match="not run by rows"):
        C.select_rows(C.get("twins"), nets=["784-100-10"])
    with pytest.raises(ValueError, match="no experiment called 'v9'.*v1, v1-e20, v2"):
        C.get("v9")


@pytest.mark.parametrize("argv, message", [
    (["run", "v2", "--nets", "999-1"], "999-1 is not a network"),
    (["run", "v2", "--workers", "0"], "--workers: expected a number >= 1"),
    (["run", "v2", "--connect-timeout", "-1"], "--connect-timeout: expected a positive"),
    (["protocol"], "is now `python -m gtp run v2`"),
    (["reproduce", "--table", "1"], "is now `python -m gtp run v1`"),
    (["summary", "twins"], "no table for 'twins'"),
])
def test_command_line_errors_name_the_problem(argv, message, capsys):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_command_line_list_status_and_dry_run(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(f"{n}\n" in out for n in C.names())
    assert cli.main(["status", "twins", "v1-e20"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("twins") and "25/25" in out[0] and "finished" in out[0]
    assert out[1].startswith("v1-e20") and "9/9" in out[1]
    assert cli.main(["run", "v2", "--dry-run", "--table", "1"]) == 0
    assert "1120" not in capsys.readouterr().out.splitlines()[0]          # only table 1's jobs


# --------------------------------------------------------------------------- protocol v3
def _summary(row, rule, trials, ranges=None):
    """A v2 search summary with the given last-rung scores ``[(round, trial, score, params)]``
    (``ranges``: both rounds' ranges; default GTP's, narrower in round 2)."""
    rounds = {}
    for rnd, i, sc, params in trials:
        rounds.setdefault(rnd, []).append({"trial": i, "params": params, "val_acc_rung0": sc,
                                           "val_acc_rung1": sc})
    gtp = ({"tau": (0.0, 2.0, True), "eta": (-3.0, -1.0, True), "gain": (0.0, 1.0, False)},
           {"tau": (0.5, 1.5, True), "eta": (-2.5, -1.5, True), "gain": (0.25, 0.75, False)})
    ranges = ranges or gtp
    return {"rounds": [{"round": r, "ranges": ranges[r - 1], "trials": t} for r, t in sorted(rounds.items())]}


def test_candidates_are_the_best_distinct_trials_then_the_published_settings():
    row = ROWS[0]
    printed = {"tau": float(row.tau), "eta": float(row.eta), "gain": 0.0, "acts": "paper"}
    a = {"tau": 30.0, "eta": 0.02, "gain": 0.5, "acts": "sigmoid"}
    b = {"tau": 2.0, "eta": 0.002, "gain": 0.9, "acts": "sigmoid"}
    c = {"tau": 90.0, "eta": 0.05, "gain": 0.1, "acts": "paper"}
    summary = _summary(row, "gtp", [(1, 0, 0.95, printed), (1, 3, 0.90, b), (2, 1, 0.96, a), (2, 4, 0.80, c)])
    ranked = P3.ranked_trials(summary)
    assert [sc for sc, *_ in ranked] == [0.96, 0.95, 0.90, 0.80]
    cands = P3.candidates(row, "gtp", summary)
    assert [c_["source"] for c_ in cands] == ["search", "search", "published", "published"]
    # the printed setting ranked second is left out of the search's places (it is published)
    assert cands[0]["params"] == a and cands[1]["params"] == b
    assert cands[2]["params"] == printed and cands[3]["params"] == dict(printed, acts="sigmoid")
    assert [c_["index"] for c_ in cands] == [0, 1, 2, 3]
    # judged against what was searched by the end: a's tau (log10 1.48) is at the edge of
    # round 2's range (0.5, 1.5) but inside round 1's (0, 2), which round 2 explored around
    assert P3.edges_of(summary["rounds"][1]["ranges"], a) == ["tau"]
    assert cands[0]["at_edge"] == [] and cands[1]["at_edge"] == ["tau", "eta", "gain"]
    # a rule without published settings takes four search trials
    fa = P3.candidates(row, "fa", summary)
    assert [c_["source"] for c_ in fa] == ["search"] * 4


def test_rising_at_end_needs_the_best_epoch_in_the_window_and_a_rising_slope():
    assert P3.rising_at_end([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
    assert not P3.rising_at_end([0.5, 0.9, 0.6, 0.61, 0.62, 0.63, 0.64])     # rising, but the best is early
    assert not P3.rising_at_end([0.1, 0.2, 0.7, 0.6, 0.5, 0.4, 0.3])
    assert not P3.rising_at_end([0.5, 0.6])                                 # fewer epochs than the window


def test_intervention_changes():
    row = next(r for r in ROWS if len(r.sizes) == 4)                    # two hidden layers, L = 3
    gtp = {"rule": "gtp", "acts": "paper", "tau": 10.0, "eta": [0.01, 0.02, 0.03]}
    bp = {"rule": "backprop", "acts": "sigmoid", "eta": [0.5, 0.2, 0.1]}
    ch, ep = P3.intervention_changes("activation-start", row, gtp, bp, 20)
    assert ch == dict(gtp, start="activation") and ep == 20
    ch, ep = P3.intervention_changes("backprop-rates", row, gtp, bp, 20)
    # effective rates eta_l tau^(L-1-l) equal backprop's eta_l
    assert [e * 10.0 ** (2 - l) for l, e in enumerate(ch["eta"])] == pytest.approx(bp["eta"], rel=1e-12)
    assert ch["tau"] == 10.0 and ch["acts"] == "paper"
    assert P3.intervention_changes("double-epochs", row, gtp, bp, 20) == (gtp, 40)
    with pytest.raises(ValueError, match="intervention: expected one of"):
        P3.intervention_changes("nothing", row, gtp, bp, 20)


def _toy(dataset, d, k):
    return toy_splits(dataset, n_train=200, n_val=100, n_test=100, d=d, k=k)


def test_protocol_v3_end_to_end_on_toy_data(tmp_path, monkeypatch):
    """Candidates train at the final horizon, the pick is the best on validation, its seed-0
    run is its first final run, the v2 final run it equals is copied, and interventions
    follow a row where GTP trails backprop."""
    import dataclasses
    # MNIST 784-100-10 with a paper number no run can reach, so that GTP trails and the
    # interventions run (toy data are easy: the real 97.21 % may be beaten)
    row = dataclasses.replace(ROWS[0], paper=101.0)
    root = tmp_path / "results"
    search = root / "v2" / "search"
    search.mkdir(parents=True)
    monkeypatch.setitem(P3.V3, "epochs", 2)
    monkeypatch.setitem(P3.V3, "controls", 0)
    gtp_trials = [(1, 0, 0.5, {"tau": 400.0, "eta": 0.01, "gain": 0.0, "acts": "paper"}),
                  (2, 1, 0.6, {"tau": 50.0, "eta": 0.05, "gain": 0.5, "acts": "sigmoid"}),
                  (2, 2, 0.55, {"tau": 5.0, "eta": 0.001, "gain": 0.0, "acts": "sigmoid"})]
    bp_trials = [(1, 0, 0.7, {"eta": 0.1, "k": 1.0, "acts": "sigmoid"}),
                 (2, 1, 0.8, {"eta": 0.5, "k": 0.5, "acts": "sigmoid"}),
                 (2, 2, 0.75, {"eta": 1.0, "k": 2.0, "acts": "paper"})]
    bp_ranges = ({"eta": (-2.0, 0.0, True), "k": (-1.0, 1.0, True)},) * 2
    for rule, trials, ranges in (("gtp", gtp_trials, None), ("backprop", bp_trials, bp_ranges)):
        s = _summary(row, rule, trials, ranges)
        s.update(status="finished", choice={"params": trials[1][3]})
        R.write_json(str(search / f"{row.dataset}-{row.net}-{rule}.json"), s)
    data = functools.partial(_toy, d=784, k=10)
    plan = P3.ProtocolV3([row], root=str(root), data=data)
    plan.epochs = P3.V3["epochs"]
    # v2's seed-0 final run of backprop's best trial: copied, not trained
    from gtp.experiments.search_design import trial_changes
    cfg = plan._config(row, "backprop", bp_trials[1][3], 0)
    from gtp.engine.training import train
    rec = train(cfg, data=data(row.dataset), progress=False)
    rec.pop("weights")
    rec.pop("state", None)
    R.save_record(plan.v2.final_path(row, "backprop", 0), rec)
    from gtp.experiments.dask_runner import run
    stats = run(plan.ready, str(tmp_path / "ck"), n_workers=1, log=lambda m: None, progress=False)
    assert not stats["failed"]
    for rule in ("gtp", "backprop"):
        ch = plan.choice(row, rule)
        assert ch is not None and len(ch["candidates"]) == 4
        vals = [c["val_acc"] for c in ch["candidates"]]
        assert ch["pick"] == int(np.argmax(vals))                        # best on validation, earliest on ties
        assert ch["changes"] == trial_changes(row, rule, ch["candidates"][ch["pick"]]["params"])
        finals = plan.final_records(row, rule)
        assert sorted(r["config"]["seed"] for r in finals) == [0, 1, 2]
        seed0 = R.load_record(plan.final_path(row, rule, 0))
        assert seed0["same_as"].startswith("v3/candidates/")            # the pick's candidate run
        assert all(r["config"]["epochs"] == 2 for r in finals)
    copied = R.load_record(plan.candidate_path(row, "backprop", 0))
    assert copied["same_as"] == os.path.join("v2", "final", os.path.basename(plan.v2.final_path(row, "backprop", 0)))
    gap = plan.gap(row)
    assert gap["trails"]
    rows, waiting = plan.intervention_rows()
    assert not waiting and rows == [row]
    gtp_ch = plan.choice(row, "gtp")
    for name in P3.INTERVENTIONS:
        for seed in P3.V3["intervention_seeds"]:
            r = R.load_record(plan.intervention_path(row, name, seed))
            assert r["intervention"] == name and r["config"]["seed"] == seed
            assert r["config"]["epochs"] == (4 if name == "double-epochs" else 2)
            assert r["config"]["start"] == ("activation" if name == "activation-start" else "zero")
            if name != "backprop-rates":
                assert r["config"]["eta"] == gtp_ch["changes"]["eta"]
    pr = plan.progress()
    assert pr.left == 0 and pr.jobs == 2 * (4 + 2) + 3 * 2
    assert json.loads(json.dumps(plan.finish())) == "2 of 2 picks made"


def test_status_and_dry_run_only_read(tmp_path):
    """`status` and `--dry-run` never write: a missing search summary is recomputed in memory,
    not written, and v3 copies nothing from v2 while it only looks."""
    import shutil
    root = tmp_path / "results"
    shutil.copytree(os.path.join(R.RESULTS_ROOT, "v2"), root / "v2")
    summary = root / "v2" / "search" / "mnist-784-100-10-gtp.json"
    summary.unlink()
    before = sorted(p for p in root.rglob("*") if p.is_file())
    for name in ("v2", "v3"):
        assert C.status(name, str(root))["jobs"] > 0
        assert cli.main(["run", name, "--dry-run", "--root", str(root)]) == 0
    assert sorted(p for p in root.rglob("*") if p.is_file()) == before


DOC_GLOBS = ("book/**/*.md", "*.md", "results/**/README.md", "gtp/**/*.py", "scripts/*.py", "binder/*")
COMMAND = re.compile(r"python -m gtp((?: +[\w./:=-]+)*)")


def documented_commands():
    """Every ``python -m gtp ...`` command quoted in the docs, the pages and the docstrings,
    with where it is (usage lines with placeholders such as NAME or [--x] are skipped)."""
    root = Path(__file__).resolve().parents[1]
    out = []
    for pattern in DOC_GLOBS:
        for path in sorted(root.glob(pattern)):
            if "_build" in path.parts or not path.is_file():
                continue
            for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                for m in COMMAND.finditer(line):
                    args = m.group(1).split()
                    if not args or any(a.isupper() or a.startswith("[") or a == "..." for a in args):
                        continue
                    out.append((f"{path.relative_to(root)}:{n}", args))
    return out


def test_documented_commands_parse():
    """A command the docs tell a reader to type exists: an old verb (``reproduce``,
    ``twins-precompute``) or a misspelt experiment left in a page fails here."""
    found = documented_commands()
    assert len(found) > 20, found                      # the scan finds the docs' commands
    bad = []
    for where, args in found:
        if args[0] in cli.RENAMED:
            bad.append(f"{where}: python -m gtp {' '.join(args)} (now {cli.RENAMED[args[0]]})")
            continue
        try:
            cli.parser().parse_args(args)
        except SystemExit as stop:
            if stop.code == 0:                          # --help
                continue
            bad.append(f"{where}: python -m gtp {' '.join(args)}")
    assert not bad, "commands in the docs that do not parse:\n" + "\n".join(bad)
