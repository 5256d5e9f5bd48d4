"""Every experiment of the book as a description, and the one way to run any of them.

An :class:`Experiment` says what is run (its rows, rules, search, seeds, epochs) and where its
results go; its ``plan`` builds the plan (``plan_base.Plan``) that :func:`run_experiment`
executes on Dask (``dask_runner.run``: an embedded local cluster, or a scheduler's address).
:func:`status` reads the same plan to say what is finished and what is left.  The command
line (``python -m gtp list | run NAME | status [NAME] | summary [NAME]``) calls these.

Result files and folders are those each experiment always wrote, so nothing finished is
run again.
"""
import dataclasses
import importlib

from ..engine.records import RESULTS_ROOT

__all__ = ["Experiment", "EXPERIMENTS", "get", "names", "select_rows", "make_plan", "run_experiment",
           "status", "status_line"]


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One experiment: ``name`` (the command line's), ``title``, ``folder`` (under the results
    root), ``rows`` (``(dataset, net)`` pairs; empty: the experiment is not row-based),
    ``rules``, ``search``, ``seeds`` and ``epochs`` (descriptions, for ``list``), and
    ``plan``: ``"module:function"`` in ``gtp.experiments`` building its plan from
    ``(root, rows, **options)``."""
    name: str
    title: str
    folder: str
    rows: tuple
    rules: tuple
    search: str
    seeds: str
    epochs: str
    plan: str
    options: tuple = ()


_ALL = tuple((d, n) for d, n in (
    ("mnist", "784-100-10"), ("mnist", "784-200-10"), ("mnist", "784-500-10"), ("mnist", "784-100-100-10"),
    ("mnist", "784-500-500-10"), ("mnist", "784-500-500-500-10"), ("fashion-mnist", "784-100-10"),
    ("fashion-mnist", "784-500-10"), ("fashion-mnist", "784-100-100-10"), ("fashion-mnist", "784-500-500-10"),
    ("fashion-mnist", "784-100-100-100-10"), ("cifar-10", "3072-100-10"), ("cifar-10", "3072-500-10"),
    ("cifar-10", "3072-100-100-10"), ("cifar-10", "3072-500-500-10"), ("cifar-10", "3072-500-500-500-10")))
_RELATIVES = (("mnist", "784-500-500-10"), ("fashion-mnist", "784-500-500-10"),
              ("cifar-10", "3072-500-500-10"), ("mnist", "784-500-500-500-10"))
_SEARCH_V2 = "two rounds of successive halving, 12 trials each, 20,000 examples, 1 then 4 epochs"

EXPERIMENTS = {e.name: e for e in (
    Experiment("v1", "Protocol v1: the 16 rows with the printed settings, tuned GTP and backprop",
               "v1", _ALL, ("gtp", "backprop"), "grids on 10,000 examples, 3 epochs (bp-lr, gtp-search)",
               "0, 1, 2", "6", "protocol_v1:plan"),
    Experiment("v1-e20", "Protocol v1's budget check: two networks for 20 epochs", "v1/e20",
               (("mnist", "784-500-500-10"), ("fashion-mnist", "784-500-500-10"), ("cifar-10", "3072-500-500-10")),
               ("gtp", "backprop"), "v1's", "0", "20", "protocol_v1:plan", (("design", "e20"),)),
    Experiment("v2", "Protocol v2: equal-budget searches, then the choice's final runs", "v2", _ALL,
               ("gtp", "backprop"), _SEARCH_V2, "0, 1, 2", "20", "protocol_v2:plan"),
    Experiment("relatives", "Protocol v2 for FA, DFA, DTP and TP on four networks", "relatives/v2",
               _RELATIVES, ("fa", "dfa", "dtp", "tp"), _SEARCH_V2, "0, 1, 2", "20", "protocol_v2:relatives_plan"),
    Experiment("v3", "Protocol v3: v2's searches, the choice made at the final horizon among the best "
                     "trials and the published settings, and interventions on GTP's gaps", "v3", _ALL,
               ("gtp", "backprop"), "v2's, then 4 candidates x 20 epochs", "0, 1, 2 (interventions 0, 1)",
               "20 (an intervention 40)", "protocol_v3:plan"),
    Experiment("relatives-v3", "Protocol v3 for FA, DFA, DTP and TP on their four networks", "relatives/v3",
               _RELATIVES, ("fa", "dfa", "dtp", "tp"), "v2's, then 4 candidates x 20 epochs", "0, 1, 2", "20",
               "protocol_v3:relatives_plan"),
    Experiment("diagnostics", "The Hebbian pull of v2's GTP choices (results/v2/diagnostics.json)", "v2", _ALL,
               ("gtp",), "none", "0", "5,000 examples", "diagnostics_runs:plan"),
    Experiment("twins", "The training panel's tau x eta grid for its static twin", "twins", (),
               ("gtp",), "none (a grid)", "0", "the panel's", "panel_runs:plan"),
    Experiment("relatives-angles", "Every rule's short runs with its angles to backprop", "relatives/angles", (),
               ("fa", "dfa", "dtp", "tp", "gtp", "backprop"), "none (a grid of eta)", "0", "5",
               "relatives_angles:plan"),
    Experiment("sensitivity", "GTP's sensitivity grids (tau x eta, per-layer tau)", "v1/sensitivity", (),
               ("gtp",), "none (grids)", "0", "2 on 10,000 examples", "sensitivity_grids:plan"),
)}
# v1-e20's design lives in protocol_v1 (a plan option refers to it by name)
_DESIGNS = {"e20": "V1_E20"}


def names():
    return tuple(EXPERIMENTS)


def get(name):
    """The experiment called ``name``; ``ValueError`` listing the names otherwise."""
    if name not in EXPERIMENTS:
        raise ValueError(f"experiment: no experiment called {name!r}; experiments: {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]


def select_rows(exp, tables=None, nets=None):
    """The rows of ``exp`` in ``tables`` (1, 2, 3) with networks in ``nets``: ``None`` for all
    (or for an experiment that is not row-based).  A selection that matches no row is a
    ``ValueError`` naming the valid values (a typo must never select everything)."""
    if tables is None and nets is None:
        return None
    if not exp.rows:
        raise ValueError(f"--table/--nets: the experiment {exp.name!r} is not run by rows; leave them out")
    from ..maths.paper import ROWS
    mine = [r for r in ROWS if (r.dataset, r.net) in set(exp.rows)]
    if nets is not None:
        unknown = sorted(set(nets) - {r.net for r in mine})
        if unknown:
            raise ValueError(f"--nets: {', '.join(unknown)} is not a network of {exp.name!r}; its networks: "
                             f"{', '.join(sorted({r.net for r in mine}))}")
    rows = [r for r in mine if (tables is None or r.table in set(tables)) and (nets is None or r.net in set(nets))]
    if not rows:
        raise ValueError(f"--table/--nets: no row of {exp.name!r} is in table(s) {tables} with network(s) "
                         f"{nets}; its rows: {', '.join(f'{r.dataset} {r.net}' for r in mine)}")
    return rows


def _options(exp):
    out = dict(exp.options)
    if "design" in out:
        from . import protocol_v1
        out["design"] = getattr(protocol_v1, _DESIGNS[out["design"]])
    return out


def make_plan(name, root=None, rows=None, **options):
    exp = get(name)
    module, function = exp.plan.split(":")
    mod = importlib.import_module(f"{__package__}.{module}")
    return getattr(mod, function)(root or RESULTS_ROOT, rows, **dict(_options(exp), **options))


def run_experiment(name, root=None, rows=None, scheduler=None, n_workers=None, connect_timeout=10,
                   checkpoints=None, log=print, progress=True, client=None):
    """Run what is left of experiment ``name`` (on ``rows``) on Dask; returns the runner's
    ``{"ran", "skipped", "failed"}``.  Finished runs are skipped, unfinished ones resume."""
    from .dask_runner import run
    plan = make_plan(name, root, rows)
    pr = plan.progress()
    stats = run(plan.ready, checkpoints or plan.checkpoints, scheduler=scheduler, n_workers=n_workers,
                client=client, log=log, progress=progress, total=pr.jobs, total_cost=pr.cost,
                done=(pr.finished, pr.finished_cost or 0.0), connect_timeout=connect_timeout,
                on_result=plan.on_result)
    line = plan.finish()
    if line:
        log(line)
    return stats


def status(name, root=None, rows=None, workers=2):
    """``{"name", "jobs", "finished", "left", "left_hours", "ready"}`` of experiment ``name``:
    ``left_hours`` the estimated wall time of what is left with ``workers`` single-core workers
    (calibrated by what the finished v2 runs took, where the plan has a cost model)."""
    plan = make_plan(name, root, rows)
    plan.readonly = True
    pr = plan.progress()
    hours = None
    if pr.left_cost is not None:
        from .budget import calibration
        cal = calibration(root or RESULTS_ROOT)
        hours = pr.left_cost * (cal["median"] if cal else 1.0) / max(workers, 1) / 3600
    return {"name": name, "jobs": pr.jobs, "finished": pr.finished, "left": pr.left, "left_hours": hours,
            "ready": len(plan.pending())}


def status_line(s):
    """One line of ``python -m gtp status``."""
    left = f"{s['left']} left" + ("" if s["left_hours"] is None or not s["left"]
                                  else f" (about {s['left_hours']:.1f} h on 2 cores)")
    state = "finished" if not s["left"] else f"{s['ready']} ready now"
    return f"{s['name']:<17} {s['finished']:>4}/{s['jobs']:<4} jobs finished, {left}; {state}"
