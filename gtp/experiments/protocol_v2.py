"""Protocol v2: an equal-budget comparison of GTP and backprop on the paper's 16 rows.

Command line::

    python -m gtp protocol                      # everything, embedded Dask cluster
    python -m gtp protocol --table 1 --scheduler tcp://host:8786 --checkpoints /tmp/ck
    python -m gtp protocol --budget             # the budget arithmetic below, from results/
    python -m gtp relatives --budget            # the same protocol for FA, DFA, DTP, TP
    python -m gtp protocol --rules fa dtp --table 1 --nets 784-500-500-10 --root /tmp/x

``--rules`` runs the same protocol (design, budget per rule, seeds, selection) for any rules
of the registry with a search space, into ``--root``; the default is GTP and backprop,
exactly as in results/v2.  ``python -m gtp relatives`` is that for ``RELATIVES``: feedback
alignment, direct feedback alignment, difference target propagation and target
propagation on MNIST and Fashion-MNIST 784-500-500-10, CIFAR-10 3072-500-500-10 and MNIST
784-500-500-500-10, into results/relatives/ (GTP's and backprop's numbers for these rows are
those of results/v2; ``gtp.relatives_results`` reads both).

Per row and per rule (GTP, backprop) one validation search with the SAME design, then
final runs with the settings it chose.  Nothing is selected on the test split: search runs
never load it, and the final runs report test accuracy at the epoch selected on validation.

Search spaces (``space``; continuous ranges in log10 for tau and the learning rates)
------------------------------------------------------------------------------------
* GTP: ``tau`` in [tau_p / 10, 10 tau_p] and ``eta`` in [eta_p / 10, 10 eta_p] around the
  printed values (jointly), ``gain`` g in [0, 1] and ``acts`` in {"paper", "sigmoid"}.
  With the zero start and one Euler step the update of W_l (l = 0..L-1) carries a factor
  of about tau^(L-1-l) relative to backprop (Theory: GTP = backprop + Hebbian); the
  per-layer rate ``eta_l = eta * tau^(-g (L-1-l))`` undoes that gain for g = 1 and keeps
  the paper's single eta for g = 0 (``layer_etas``).
* Backprop: ``eta`` in [c / 10, 10 c] (c = 0.1 for MNIST and Fashion-MNIST, 0.03 for
  CIFAR-10: the middle of the v1 grids), a per-layer factor ``k`` in [1/10, 10] with
  ``eta_l = eta * k^(L-1-l)`` (the same freedom per layer as GTP's gain) and ``acts``.

Design (``SEARCH``; seeded, the same for both rules)
----------------------------------------------------
Two rounds of successive halving over a Latin-hypercube sample.  Round 1: ``trials``
points (the first is the anchor: the printed settings for GTP, the range's centre for
backprop; ``acts`` alternates in a seeded order) train ``rung_epochs[0]`` epoch(s) on the
first ``n_train`` training examples; the ``keep`` best on validation accuracy continue to
``rung_epochs[1]`` epochs (the same run, resumed from its checkpoint).  Round 2 samples
``trials`` new points with the round-1 winner's activations, in ranges centred on the
winner: a dimension whose winner lies within 1/6 of the range's width from an edge gets
the same width centred on the winner (the range *extends* beyond that edge), every other
dimension half the width (a refinement).  The choice is the best of the 2 x ``keep`` runs
of the last rung (earliest on ties); its ``at_edge`` dimensions are reported.  Both rules
therefore get 2 x ``trials`` trials of the same epochs per row.

Final runs (``FINAL``): every row x seeds 0, 1, 2 x {GTP, backprop} x 20 epochs on the full
training split, test accuracy at the best-validation epoch and at the last, and
``still_rising`` (the least-squares slope of validation accuracy over the last 5 epochs
is positive: longer training would likely help).

Budget (``budget()``, from the wall time per training example of the v1 table runs,
measured on this 2-core machine including evaluation; median over runs)
--------------------------------------------------------------------------------------
One epoch of all 16 rows for one rule and seed costs about 105 s of one core (MNIST 38 s,
Fashion-MNIST 18 s, CIFAR-10 49 s) at the v1 runs' speed.  Final runs: 105 s x 20 epochs x
3 seeds x 2 rules = 12,600 core-s.  Searches: per row and rule 2 rounds x (12 trials x 1
epoch + 4 x 3 more epochs) x 20,000 examples = 960,000 examples = 19.2 full 50,000-example
epochs (21.3 of CIFAR-10's 45,000), so about 4,200 core-s for both rules.  Total about
16,800 core-s = 2.3 hours of wall time with two workers.

The v2 runs themselves are slower per example than that estimate: ``calibration()`` reads
the finished v2 final runs and ``python -m gtp protocol --budget`` prints the estimate
scaled by their median ratio, with the range (runs that shared the machine push it up).
"""
import dataclasses
import os
import statistics
import sys
import time

import numpy as np

from . import results as R
from .learning_rules import RULES as _REGISTRY
from .learning_rules import backprop as _backprop
from .learning_rules import get_rule, rule_names, rules_of
from .paper import RESULTS_ROOT, V1_ROOT
from .reproduce import ROWS, make_config, run_id

__all__ = ["SEARCH", "FINAL", "RULES", "BP_CENTRE", "VERSION", "space", "layer_etas",
           "trial_changes", "design", "next_ranges", "at_edges", "still_rising", "search_examples",
           "Protocol", "throughput", "calibration", "budget", "RELATIVES", "RULE_COST",
           "main_protocol"]

VERSION = "v2"
#: the rules the protocol compares: those of the registry with a search space, in its order
RULES = tuple(name for name, r in _REGISTRY.items() if r.search is not None)
#: every rule with a search space (both parts): a rule's index here seeds its designs, so
#: GTP's and backprop's designs are those of the v2 runs
_SEARCHABLE = tuple(name for name in rule_names() if get_rule(name).search is not None)
#: the relatives' experiments (``python -m gtp relatives``): the same protocol, design and
#: budget per rule as v2, for these rules and rows (data set, network), into ``root``; GTP's
#: and backprop's numbers for these rows are those of results/v2
RELATIVES = {"rules": rules_of("relatives"),
             "rows": (("mnist", "784-500-500-10"), ("fashion-mnist", "784-500-500-10"),
                      ("cifar-10", "3072-500-500-10"), ("mnist", "784-500-500-500-10")),
             "root": os.path.join(RESULTS_ROOT, "relatives")}
#: seconds per training example of a rule relative to the v1 runs' (GTP, backprop), measured
#: with benchmarks/bench_relatives.py (batch size 1, float32, one core; 784-500-500-10 and
#: 784-500-500-500-10 on a loaded machine, 2026-11-30: FA 1.06-1.11, DFA 0.87-1.00, DTP
#: 1.91-2.37, TP 1.48-2.13 times backprop), rounded up
RULE_COST = {"gtp": 1.0, "backprop": 1.0, "fa": 1.1, "dfa": 1.0, "dtp": 2.2, "tp": 1.8}
#: validation search of every row and rule (seed 0, first n_train examples, no test split)
SEARCH = {"n_train": 20000, "trials": 12, "keep": 4, "rung_epochs": (1, 4), "rounds": 2,
          "seed": 0, "edge": 1 / 6}
#: final runs
FINAL = {"epochs": 20, "seeds": (0, 1, 2), "rising_window": 5}
#: centre of backprop's learning-rate range per data set (its registry entry)
BP_CENTRE = _backprop.ETA_CENTRE
ACTS = ("paper", "sigmoid")


def _search(rule):
    r = get_rule(rule)
    if r.search is None:
        raise ValueError(f"rule: {rule!r} has no search space in the registry; rules of the "
                         f"protocol: {RULES}")
    return r.search


def space(row, rule):
    """Round-1 search space of ``rule`` (its registry entry): ``{name: (lo, hi, log)}``
    (log: the range is in log10)."""
    return _search(rule).space(row)


def layer_etas(rule, L, params):
    """Per-layer learning rates eta_0..eta_{L-1} of a search point (the rule's registry
    entry: e.g. GTP's gain compensation undoes the tau^(L-1-l) factor of W_l)."""
    return _search(rule).layer_etas(L, params)


def trial_changes(row, rule, params):
    """``make_config`` changes of a search point (rule, activations, per-layer eta, and the
    parameters the rule's search space puts into the config, e.g. GTP's tau)."""
    L = len(row.sizes) - 1
    ch = {"rule": rule, "acts": params["acts"], "eta": layer_etas(rule, L, params)}
    for name in _search(rule).config:
        ch[name] = params[name]
    return ch


def _value(x, log):
    return float(10 ** x) if log else float(x)


def _coord(v, log):
    return float(np.log10(v)) if log else float(v)


def design(row, rule, rnd, ranges, acts=None, anchor=True, n=None):
    """The seeded Latin-hypercube sample of one round: a list of parameter dicts.

    ``ranges``: ``{name: (lo, hi, log)}``.  ``acts``: fixed activations (round 2) or
    ``None`` (alternating in a seeded order).  ``anchor``: the first point is the rule's
    anchor (GTP: the printed setting; backprop: the ranges' centre).  ``n``: points (``SEARCH["trials"]``)."""
    n = n or SEARCH["trials"]
    rng = np.random.default_rng([ROWS.index(row) if row in ROWS else 99, _SEARCHABLE.index(rule), rnd])
    u = {name: (rng.permutation(n) + rng.random(n)) / n for name in ranges}
    act_order = rng.permutation([ACTS[i % 2] for i in range(n)])
    out = []
    for i in range(n):
        p = {name: _value(lo + u[name][i] * (hi - lo), log) for name, (lo, hi, log) in ranges.items()}
        p["acts"] = acts or str(act_order[i])
        out.append(p)
    if anchor:
        out[0] = dict(_search(rule).anchor(row, ranges), acts="paper")
    return out


def next_ranges(ranges, winner):
    """Round-2 ranges around the round-1 winner, and the dimensions where it sat at an edge
    (those are extended beyond that edge; the others are halved)."""
    out, edges = {}, []
    for name, (lo, hi, log) in ranges.items():
        x, w = _coord(winner[name], log), hi - lo
        if min(x - lo, hi - x) < SEARCH["edge"] * w:
            edges.append(name)
            out[name] = (x - w / 2, x + w / 2, log)
        else:
            out[name] = (x - w / 4, x + w / 4, log)
    return out, edges


def at_edges(ranges, params):
    """Dimensions where ``params`` lies within ``SEARCH["edge"]`` of the width of an edge."""
    return [name for name, (lo, hi, log) in ranges.items()
            if min(_coord(params[name], log) - lo, hi - _coord(params[name], log))
            < SEARCH["edge"] * (hi - lo)]


def still_rising(val_accs, window=None):
    """True if the least-squares slope of the last ``window`` validation accuracies is > 0."""
    window = window or FINAL["rising_window"]
    v = [a for a in val_accs if a is not None][-window:]
    if len(v) < 2:
        return False
    return bool(np.polyfit(np.arange(len(v)), np.asarray(v, float), 1)[0] > 0)


def _n_train(row):
    """Size of the row's full training split (CIFAR-10: 45,000; MNIST, Fashion-MNIST: 50,000)."""
    return 45000 if row.dataset == "cifar-10" else 50000


def search_examples(row, search=None):
    """Training examples one search (one rule, one row) processes: every round trains
    ``trials`` runs for the first rung's epochs and continues ``keep`` to the last."""
    s = search or SEARCH
    per_round = s["trials"] * s["rung_epochs"][0] + s["keep"] * (s["rung_epochs"][1] - s["rung_epochs"][0])
    return s["rounds"] * min(s["n_train"], _n_train(row)) * per_round


def _score(rec):
    """Validation accuracy at the best epoch of a search run (-1 if it diverged early)."""
    sel = rec.get("selection")
    return sel["val_acc_at_best"] if sel else -1.0


def _rank(entries):
    """Entries ``(score, index, ...)`` best first; ties go to the lower index."""
    return sorted(entries, key=lambda e: (-e[0], e[1]))


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
        if rec is None and os.path.exists(path):
            rec = R.load_record(path)
            if rec.get("status") in ("finished", "diverged"):
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
        from .runner import Task
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
        return RULE_COST.get(rule, 1.0) * _cost(row) * min(s["n_train"], _n_train(row)) * epochs

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
            ranked = _rank([(_score(r), i) for i, r in enumerate(recs0)])[:s["keep"]]
            rung1 = [self._trial_task(row, rule, rnd, i, points[i], 1, ranges) for _, i in ranked]
            recs1 = [self._load(t.path) for t in rung1]
            missing = [t for t, r in zip(rung1, recs1) if r is None]
            if missing:
                return missing, None
            top = _rank([(_score(r), i) for (_, i), r in zip(ranked, recs1)])
            rounds.append({"round": rnd, "ranges": {k: list(v) for k, v in ranges.items()},
                           "acts": acts, "trials": [
                               {"trial": i, "params": p, "val_acc_rung0": _score(r0),
                                "val_acc_rung1": next((_score(r1) for (_, j), r1 in zip(ranked, recs1)
                                                       if j == i), None)}
                               for i, (p, r0) in enumerate(zip(points, recs0))]})
            tops += [(sc, (rnd - 1) * s["trials"] + i, rnd, i, points[i], dict(ranges)) for sc, i in top]
            if rnd == 1:
                winner = points[top[0][1]]
                acts = winner["acts"]
                ranges, edges1 = next_ranges(ranges, winner)
        best = _rank(tops)[0]
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
        R.write_json(path, summary)
        return self._load(path)

    def _final_task(self, row, rule, seed, ch):
        from .reproduce import _data_source
        from .runner import Task
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
        return RULE_COST.get(rule, 1.0) * _cost(row) * _n_train(row) * self.epochs

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
        cost = sum(_rules_cost(self.rules) * _cost(row) * (search_examples(row, s) + len(self.seeds)
                                                          * _n_train(row) * self.epochs)
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
_THROUGHPUT = {}    # throughput() per results root


def throughput(root=V1_ROOT):
    """``{(dataset, net): seconds per training example}``: median over the v1 table runs
    of ``wall_time / (epochs * n_train)`` (training and per-epoch evaluation, one core)."""
    if _THROUGHPUT.get(root) is None:
        per = {}
        for rec in R.load_results(root):
            if not str(rec.get("table", "")).startswith("table") or rec.get("same_as"):
                continue
            ep = [e for e in rec["epochs"] if e["epoch"] >= 1 and not e.get("partial")]
            if ep and rec.get("wall_time"):
                key = (rec["config"]["dataset"], "-".join(map(str, rec["config"]["sizes"])))
                per.setdefault(key, []).append(rec["wall_time"] / (len(ep) * rec["data"]["n_train"]))
        _THROUGHPUT[root] = {k: statistics.median(v) for k, v in per.items()}
    return _THROUGHPUT[root]


def _cost(row):
    """Estimated seconds per training example of a row (1e-4 when unmeasured)."""
    return throughput().get((row.dataset, row.net), 1e-4)


def _rules_cost(rules):
    """The summed cost factor (``RULE_COST``) of ``rules``: their number for GTP and backprop."""
    return sum(RULE_COST.get(r, 1.0) for r in rules)


def calibration(root=RESULTS_ROOT):
    """How the finished v2 final runs under ``root`` compare with the v1 estimate:
    ``{"runs": n, "median": m, "low": lo, "high": hi}`` of the ratios (wall time per
    training example, evaluation included) / (``throughput()`` of the same row), or
    ``None`` if no v2 final run is finished.  Runs that shared the machine with other
    work are slower; the median is what the budget uses."""
    ratios = []
    for rec in R.load_results(os.path.join(root, VERSION), "final"):
        ep = [e for e in rec.get("epochs", []) if e["epoch"] >= 1 and not e.get("partial")]
        key = (rec["config"]["dataset"], "-".join(map(str, rec["config"]["sizes"])))
        if ep and rec.get("wall_time") and key in throughput():
            per = rec["wall_time"] / (len(ep) * rec["data"]["n_train"])
            ratios.append(per / throughput()[key] / RULE_COST.get(rec["config"]["rule"], 1.0))
    if not ratios:
        return None
    return {"runs": len(ratios), "median": statistics.median(ratios), "low": min(ratios),
            "high": max(ratios)}


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
    k = _rules_cost(p.rules)
    search = sum(k * _cost(row) * search_examples(row, p.search) for row in p.rows)
    final = sum(k * _cost(row) * len(p.seeds) * _n_train(row) * p.epochs for row in p.rows)
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


# --------------------------------------------------------------------------- command line
def relatives_rows(tables=(1, 2, 3), nets=None):
    """The rows of the relatives' experiments (``RELATIVES["rows"]``) in ``tables``,
    optionally only the networks ``nets``."""
    from .reproduce import rows_of
    keep = set(RELATIVES["rows"])
    return [r for r in rows_of(tables) if (r.dataset, r.net) in keep and (nets is None or r.net in set(nets))]


def main_protocol(args):
    from .reproduce import rows_of
    from .runner import run
    relatives = getattr(args, "command", None) == "relatives"
    if relatives:
        rows = relatives_rows(args.table, args.nets)
    else:
        rows = [r for r in rows_of(args.table) if args.nets is None or r.net in set(args.nets)]
    rules = tuple(args.rules) if getattr(args, "rules", None) else RULES
    if args.summary:
        if rules != RULES:
            from .relatives_results import finished_rows, relatives_markdown, relatives_summary, verdict_markdown
            print(relatives_markdown(args.root, rows, rules))
            summary = relatives_summary(args.root, rows, rules)
            print("\nVerdict (rows where every rule finished):\n" + verdict_markdown(summary)
                  if finished_rows(summary) else "\nNo row is finished for every rule yet.")
            return 0
        from .report import protocol_markdown
        print(protocol_markdown(args.root, rows))
        return 0
    if args.budget:
        b = budget(rows, args.workers or os.cpu_count() or 1, rules,
                   RESULTS_ROOT if relatives else args.root, done_root=args.root)
        print(f"{len(rows)} row(s) x {len(rules)} rule(s) ({', '.join(rules)}): searches "
              f"{b['search_core_s']:.0f} core-s, final runs {b['final_core_s']:.0f} "
              f"core-s, total {b['total_core_s']:.0f} core-s = {b['wall_h']:.2f} h of wall time "
              f"at the v1 runs' speed")
        c = b["calibration"]
        if c is not None:
            print(f"the {c['runs']} finished v2 final runs took {c['median']:.1f} times as long per "
                  f"example as that (median; {c['low']:.1f} to {c['high']:.1f}): about "
                  f"{b['calibrated_wall_h']:.1f} h of wall time")
        left = f"still to run in {args.root}: {b['left_jobs']} job(s), {b['left_wall_h']:.2f} h at the v1 runs' speed"
        print(left + ("" if c is None else f", about {b['calibrated_left_wall_h']:.1f} h calibrated"))
        return 0
    plan = Protocol(rows, root=args.root, rules=rules)
    n_jobs, cost = plan.counts()
    if args.dry_run:
        todo = [t.id for t in plan.ready()]
        print(f"{n_jobs} jobs in the protocol; ready now: {len(todo)}")
        for t in todo:
            print("  ", t)
        return 0
    log = lambda m: print(time.strftime("%H:%M:%S"), m, flush=True)  # noqa: E731
    checkpoints = args.checkpoints or os.path.join(args.root, ".checkpoints", VERSION)
    try:
        stats = run(plan.ready, checkpoints, scheduler=args.scheduler, n_workers=args.workers,
                    log=log, progress=not args.no_progress, total=n_jobs, total_cost=cost,
                    done=plan.finished_trials(), connect_timeout=args.connect_timeout)
    except ConnectionError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for row in rows:                    # search summaries of searches finished earlier
        for rule in plan.rules:
            plan.choice(row, rule)
    log(f"done: {stats['ran']} run(s), {stats['skipped']} already done, "
        f"{len(stats['failed'])} failed")
    return 1 if stats["failed"] else 0
