"""Protocol v2: an equal-budget comparison of GTP and backprop on the paper's 16 rows.

Command line::

    python -m gtp run v2                      # everything, embedded Dask cluster
    python -m gtp run v2 --table 1 --scheduler tcp://host:8786 --checkpoints /tmp/ck
    python -m gtp status v2             # the budget arithmetic below, from results/
    python -m gtp status relatives            # the same protocol for FA, DFA, DTP, TP

``Protocol(rules=...)`` runs the same protocol (design, budget per rule, seeds, selection) for
any rules of the registry with a search space; the default is GTP and backprop, exactly as in
results/v2.  ``python -m gtp run relatives`` is that for ``RELATIVES``: feedback
alignment, direct feedback alignment, difference target propagation and target
propagation on MNIST and Fashion-MNIST 784-500-500-10, CIFAR-10 3072-500-500-10 and MNIST
784-500-500-500-10, into results/relatives/ (GTP's and backprop's numbers for these rows are
those of results/v2; ``gtp.reports.relatives_report`` reads both).

Per row and per rule (GTP, backprop) one validation search with the SAME design
(``search_design``: two rounds of successive halving over a Latin-hypercube sample, the same
trials and epochs for every rule), then final runs with the settings it chose: every row x
seeds 0, 1, 2 x 20 epochs on the full training split, test accuracy at the best-validation
epoch and at the last.  Nothing is selected on the test split: search runs never load it.

Search spaces (each rule's registry entry): GTP ``tau`` and ``eta`` within a factor 10 of the
printed values, a per-layer gain g in [0, 1] (``eta_l = eta * tau^(-g (L-1-l))``) and the
activations; backprop ``eta`` within a factor 10 of a per-data-set centre, a per-layer factor
``k`` in [1/10, 10] and the activations.

Budget (``budget``, from ``budget.throughput``: the wall time per training example of the
v1 table runs): one epoch of all 16 rows for one rule and seed costs about 105 s of one core;
the whole protocol about 16,800 core-s at the v1 runs' speed, which ``budget.calibration``
scales by what the finished v2 runs took.

Protocol v3 (``protocol_v3``) keeps these searches and adds the choice at the final horizon.
"""
import dataclasses
import os

from ..engine import records as R
from ..engine.records import RESULTS_ROOT
from ..engine.rules import RULES as _REGISTRY
from ..engine.rules import backprop as _backprop
from ..engine.rules import rules_of
from .budget import RULE_COST, calibration, cost_per_example, rules_cost, throughput
from .plan_base import Plan, Progress
from .protocol_v1 import ROWS, make_config, rows_of, run_id
from .search_design import (
    FINAL,
    SEARCH,
    at_edges,
    design,
    layer_etas,
    n_train_full,
    next_ranges,
    rank,
    score,
    search_examples,
    space,
    still_rising,
    trial_changes,
)

# the search design and the cost model are re-exported: the chapters and tests read them here
__all__ = ["SEARCH", "FINAL", "RULES", "BP_CENTRE", "VERSION", "space", "layer_etas",
           "trial_changes", "design", "next_ranges", "at_edges", "still_rising", "search_examples",
           "Protocol", "throughput", "calibration", "budget", "RELATIVES", "RULE_COST",
           "relatives_rows", "ProtocolPlan", "plan", "relatives_plan"]

VERSION = "v2"
#: the rules the protocol compares: those of the registry with a search space, in its order
RULES = tuple(name for name, r in _REGISTRY.items() if r.search is not None)

#: the relatives' experiments (``python -m gtp run relatives``): the same protocol, design and
#: budget per rule as v2, for these rules and rows (data set, network), into ``root``; GTP's
#: and backprop's numbers for these rows are those of results/v2
#: centre of backprop's learning-rate range per data set (its registry entry)
BP_CENTRE = _backprop.ETA_CENTRE
RELATIVES = {"rules": rules_of("relatives"),
             "rows": (("mnist", "784-500-500-10"), ("fashion-mnist", "784-500-500-10"),
                      ("cifar-10", "3072-500-500-10"), ("mnist", "784-500-500-500-10")),
             "root": os.path.join(RESULTS_ROOT, "relatives")}


# --------------------------------------------------------------------------- the plan
class Protocol:
    """The protocol's job plan for some rows: search rungs, then final runs, each task
    ready when the results it depends on exist.  Call :meth:`ready` repeatedly (the
    runner does); :meth:`search_state` gives a search's trials, scores and choice."""

    def __init__(self, rows=None, root=RESULTS_ROOT, rules=RULES, seeds=None, epochs=None,
                 data=None, search=None):
        self.rows = list(rows or ROWS)
        self.root = os.path.join(root, VERSION)
        self.rules, self.data = tuple(rules), data
        self.seeds = tuple(seeds if seeds is not None else FINAL["seeds"])
        self.epochs = epochs or FINAL["epochs"]
        self.search = dict(SEARCH, **(search or {}))
        self._cache = {}

    # -- files
    def _load(self, path):
        rec = self._cache.get(path)
        if rec is None:
            rec = R.read_result(path)
            if rec is not None and rec.get("status") in ("finished", "diverged"):
                self._cache[path] = rec
            else:
                rec = None
        return rec

    def _name(self, row, rule):
        return f"{row.dataset}-{row.net}-{rule}"

    def _trial_id(self, row, rule, rnd, i, epochs):
        return f"{self._name(row, rule)}-r{rnd}-t{i:02d}-e{epochs}"

    def search_path(self, row, rule):
        return os.path.join(self.root, "search", self._name(row, rule) + ".json")

    def final_path(self, row, rule, seed):
        return os.path.join(self.root, "final", run_id(row, rule, seed, extra=VERSION) + ".json")

    # -- tasks
    def _trial_task(self, row, rule, rnd, i, params, rung, ranges):
        from .dask_runner import Task
        s = self.search
        epochs = s["rung_epochs"][rung]
        cfg = make_config(row, seed=s["seed"], epochs=epochs, n_train=s["n_train"], n_eval_train=0,
                          n_probe=0, **trial_changes(row, rule, params))
        tid = self._trial_id(row, rule, rnd, i, epochs)
        extra = {"run_id": tid, "table": f"{VERSION}/search", "protocol": VERSION,
                 "paper_row": dataclasses.asdict(row),
                 "search": {"rule": rule, "round": rnd, "trial": i, "rung": rung,
                            "params": params, "ranges": {k: list(v) for k, v in ranges.items()},
                            "design": s}}
        return Task(tid, os.path.join(self.root, "search", "trials", tid + ".json"), cfg.to_dict(),
                    extra, data=self.data, splits=("train", "validation"),
                    priority=self._priority(row, 1), cost=self._trial_cost(row, rule, rung),
                    checkpoint=f"{self._name(row, rule)}-r{rnd}-t{i:02d}")

    def _trial_cost(self, row, rule, rung):
        """Estimated seconds of one search trial at ``rung`` (the epochs it adds to the rung before)."""
        s = self.search
        epochs = s["rung_epochs"][rung] - (s["rung_epochs"][rung - 1] if rung else 0)
        return RULE_COST.get(rule, 1.0) * cost_per_example(row) * min(s["n_train"], n_train_full(row)) * epochs

    def _priority(self, row, stage):
        return (len(ROWS) - (ROWS.index(row) if row in ROWS else 0)) * 10 + stage

    def search_state(self, row, rule):
        """``(tasks ready now, summary or None)`` of one row's search for one rule."""
        s = self.search
        ranges = space(row, rule)
        tops, rounds = [], []
        acts, edges1 = None, []
        for rnd in range(1, s["rounds"] + 1):
            points = design(row, rule, rnd, ranges, acts=acts, anchor=rnd == 1, n=s["trials"])
            rung0 = [self._trial_task(row, rule, rnd, i, p, 0, ranges) for i, p in enumerate(points)]
            recs0 = [self._load(t.path) for t in rung0]
            missing = [t for t, r in zip(rung0, recs0) if r is None]
            if missing:
                return missing, None
            ranked = rank([(score(r), i) for i, r in enumerate(recs0)])[:s["keep"]]
            rung1 = [self._trial_task(row, rule, rnd, i, points[i], 1, ranges) for _, i in ranked]
            recs1 = [self._load(t.path) for t in rung1]
            missing = [t for t, r in zip(rung1, recs1) if r is None]
            if missing:
                return missing, None
            top = rank([(score(r), i) for (_, i), r in zip(ranked, recs1)])
            rounds.append({"round": rnd, "ranges": {k: list(v) for k, v in ranges.items()},
                           "acts": acts, "trials": [
                               {"trial": i, "params": p, "val_acc_rung0": score(r0),
                                "val_acc_rung1": next((score(r1) for (_, j), r1 in zip(ranked, recs1)
                                                       if j == i), None)}
                               for i, (p, r0) in enumerate(zip(points, recs0))]})
            tops += [(sc, (rnd - 1) * s["trials"] + i, rnd, i, points[i], dict(ranges)) for sc, i in top]
            if rnd == 1:
                winner = points[top[0][1]]
                acts = winner["acts"]
                ranges, edges1 = next_ranges(ranges, winner)
        best = rank(tops)[0]
        sc, _, rnd, i, params, rng = best
        summary = {"protocol": VERSION, "row": dataclasses.asdict(row), "rule": rule,
                   "design": s, "rounds": rounds, "round1_edges": edges1,
                   "choice": {"round": rnd, "trial": i, "params": params, "val_acc": sc,
                              "changes": trial_changes(row, rule, params),
                              "at_edge": at_edges(rng, params)},
                   "trials": s["rounds"] * s["trials"], "examples": search_examples(row, s)}
        return [], summary

    def choice(self, row, rule):
        """The search's summary (written to ``search/<row>-<rule>.json``), or ``None``."""
        path = self.search_path(row, rule)
        rec = self._load(path)
        if rec is not None:
            return rec
        tasks, summary = self.search_state(row, rule)
        if summary is None:
            return None
        summary["status"] = "finished"
        summary["provenance"] = R.provenance()
        if getattr(self, "readonly", False):       # status and --dry-run only read
            return summary
        R.write_json(path, summary)
        return self._load(path)

    def _final_task(self, row, rule, seed, ch):
        from .dask_runner import Task
        from .protocol_v1 import _data_source
        cfg = make_config(row, seed=seed, epochs=self.epochs, **ch["choice"]["changes"])
        rid = run_id(row, rule, seed, extra=VERSION)
        base = {"run_id": rid, "table": f"{VERSION}/final", "variant": "equal-budget",
                "protocol": VERSION, "paper_row": dataclasses.asdict(row),
                "choice": {k: ch["choice"][k] for k in ("params", "val_acc", "at_edge", "round", "trial")},
                "search_file": os.path.relpath(self.search_path(row, rule), self.root),
                "data_source": _data_source(row.dataset) if self.data is None else None}

        def extra(rec):
            vals = [e["val_acc"] for e in rec["epochs"] if e["epoch"] >= 1 and not e.get("partial")]
            return dict(base, still_rising=still_rising(vals))
        return Task(rid, self.final_path(row, rule, seed), cfg.to_dict(), extra, data=self.data,
                    priority=self._priority(row, 0), cost=self._final_cost(row, rule))

    def _final_cost(self, row, rule):
        """Estimated seconds of one final run (every epoch on the full training split)."""
        return RULE_COST.get(rule, 1.0) * cost_per_example(row) * n_train_full(row) * self.epochs

    def ready(self):
        """Every task that can run now (the runner skips finished ones)."""
        tasks = []
        for row in self.rows:
            for rule in self.rules:
                t, summary = self.search_state(row, rule)
                tasks += t
                if summary is None:
                    continue
                ch = self.choice(row, rule)
                tasks += [self._final_task(row, rule, seed, ch) for seed in self.seeds]
        return tasks

    def counts(self):
        """``(jobs, cost)`` of the whole plan (for the progress bar)."""
        s = self.search
        per_search = s["rounds"] * (s["trials"] + s["keep"])
        n_jobs = len(self.rows) * len(self.rules) * (per_search + len(self.seeds))
        cost = sum(rules_cost(self.rules) * cost_per_example(row) * (search_examples(row, s) + len(self.seeds)
                                                          * n_train_full(row) * self.epochs)
                   for row in self.rows)
        return n_jobs, cost

    def finished_trials(self):
        """``(number, cost)`` of the search trials whose results exist: :meth:`ready` never
        yields them again, so the progress bar starts with them counted."""
        s, folder = self.search, os.path.join(self.root, "search", "trials")
        names = os.listdir(folder) if os.path.isdir(folder) else []
        n, cost = 0, 0.0
        for row in self.rows:
            for rule in self.rules:
                prefix = self._name(row, rule) + "-r"
                for name in names:
                    if not (name.startswith(prefix) and name.endswith(".json")
                            and self._load(os.path.join(folder, name)) is not None):
                        continue
                    rung = s["rung_epochs"].index(int(name[:-5].rsplit("-e", 1)[1]))   # ..-e<epochs>
                    n += 1
                    cost += self._trial_cost(row, rule, rung)
        return n, cost

    def left(self):
        """``(jobs, cost)`` still to run: :meth:`counts` less the finished search trials and
        final runs (what ``--budget`` reports as left after an interrupted run)."""
        n_jobs, cost = self.counts()
        n_trials, trials_cost = self.finished_trials()
        n_jobs, cost = n_jobs - n_trials, cost - trials_cost
        for row in self.rows:
            for rule in self.rules:
                for seed in self.seeds:
                    if self._load(self.final_path(row, rule, seed)) is not None:
                        n_jobs -= 1
                        cost -= self._final_cost(row, rule)
        return n_jobs, max(cost, 0.0)


# --------------------------------------------------------------------------- budget


def budget(rows=None, workers=2, rules=RULES, root=RESULTS_ROOT, done_root=None):
    """The budget arithmetic for the protocol on ``rows`` for ``rules`` with ``workers``
    single-core workers: ``{"search_core_s", "final_core_s", "total_core_s", "wall_h"}`` at
    the v1 runs' speed (each rule's cost per example: the v1 runs' times ``RULE_COST``),
    ``"calibration"`` (``calibration(root)``) and ``"calibrated_wall_h"`` (``wall_h`` times
    its median; ``None`` without finished v2 runs); ``"left_jobs"``, ``"left_core_s"``,
    ``"left_wall_h"`` and ``"calibrated_left_wall_h"``: the same for what is not finished in
    ``done_root`` (default ``root``; the relatives keep their runs apart from the v2 runs
    that calibrate them)."""
    p = Protocol(rows, rules=rules, root=done_root or root)
    k = rules_cost(p.rules)
    search = sum(k * cost_per_example(row) * search_examples(row, p.search) for row in p.rows)
    final = sum(k * cost_per_example(row) * len(p.seeds) * n_train_full(row) * p.epochs for row in p.rows)
    total = search + final
    cal = calibration(root)
    wall_h = total / workers / 3600
    left_jobs, left = p.left()
    left_h = left / workers / 3600
    return {"search_core_s": search, "final_core_s": final, "total_core_s": total,
            "wall_h": wall_h, "calibration": cal,
            "calibrated_wall_h": None if cal is None else wall_h * cal["median"],
            "left_jobs": left_jobs, "left_core_s": left, "left_wall_h": left_h,
            "calibrated_left_wall_h": None if cal is None else left_h * cal["median"]}


class ProtocolPlan(Plan):
    """A :class:`Protocol` as a plan for the runner (``catalogue``): its tasks, its jobs and
    cost (``counts``, ``left``), and at the end the summary file of every finished search."""

    def __init__(self, protocol, checkpoints=None):
        self.protocol = protocol
        self.checkpoints = checkpoints or os.path.join(os.path.dirname(protocol.root), ".checkpoints",
                                                       os.path.basename(protocol.root))
        self.ready = protocol.ready

    @property
    def readonly(self):
        return getattr(self.protocol, "readonly", False)

    @readonly.setter
    def readonly(self, value):
        self.protocol.readonly = value

    def progress(self):
        jobs, cost = self.protocol.counts()
        left_jobs, left_cost = self.protocol.left()
        return Progress(jobs, jobs - left_jobs, cost, cost - left_cost)

    def finish(self):
        done = [self.protocol.choice(row, rule) for row in self.protocol.rows for rule in self.protocol.rules]
        return f"{sum(c is not None for c in done)} of {len(done)} searches finished"


def relatives_rows(tables=(1, 2, 3), nets=None):
    """The rows of the relatives' experiments (``RELATIVES["rows"]``) in ``tables``,
    optionally only the networks ``nets``."""
    keep = set(RELATIVES["rows"])
    return [r for r in rows_of(tables) if (r.dataset, r.net) in keep and (nets is None or r.net in set(nets))]


def plan(root=None, rows=None, rules=RULES, **options):
    """The v2 protocol's plan on ``rows`` (default: all 16) for ``rules`` under ``root``."""
    return ProtocolPlan(Protocol(rows, root=root or RESULTS_ROOT, rules=rules, **options))


def relatives_plan(root=None, rows=None, **options):
    """The relatives' v2 plan (``RELATIVES``): their rows (``rows`` filters them), their rules,
    into ``<root>/relatives/v2``."""
    keep = set(RELATIVES["rows"])
    rows = [r for r in (rows or ROWS) if (r.dataset, r.net) in keep]
    return ProtocolPlan(Protocol(rows, root=os.path.join(root or RESULTS_ROOT, "relatives"),
                                 rules=RELATIVES["rules"], **options))
