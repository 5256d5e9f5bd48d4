"""Protocol v3: the equal-budget comparison with the choice made at the horizon of the final
runs, and interventions that test each explanation of a gap.

Why (results/v3/README.md): v2's searches saw 20,000 examples for 1 and then 4 epochs
(80,000 examples), its final runs 1,000,000.  Short trials reward settings that learn fast
and peak early, and on several rows the paper's own printed settings beat v2's choice.

Design, per row of Tables 1-3 and per rule (GTP, backprop; the relatives on their four
networks), everything selected on the validation split only:

1. **The search is v2's** (``protocol_v2``; same design and budget for every rule): its
   trials are read, not rerun.
2. **Candidates at the final horizon.**  ``V3["candidates"]`` settings per rule: the best
   trials of the search's last rung (at least ``V3["top"]``; the rest of the places go to
   further trials when a rule has fewer published settings) and the rule's published
   settings (``SearchSpace.published``: GTP's printed tau and eta with the paper's
   activations and with sigmoid everywhere; for backprop the same number of conventional
   settings; none for the relatives, whose papers train other costs, activations and batch
   sizes).  Each trains with the final budget: the full training split, ``V3["epochs"]``
   epochs, seed 0.  A candidate whose configuration is v2's seed-0 final run is that run
   (copied, with ``same_as``: same configuration and seed give bit-identical training).
3. **The pick**: the candidate with the best validation accuracy at its best epoch (the
   earliest candidate on ties); its seed-0 run is its first final run, and it runs with the
   other seeds of ``V3["seeds"]`` (copied from v2 where v2 chose the same setting).
4. **Interventions** (GTP only; ``INTERVENTIONS``) on every row where GTP trails backprop
   or the paper by more than the seeds' spread, and on ``V3["controls"]`` rows where it
   does not: GTP's chosen setting with one thing changed, seeds ``V3["intervention_seeds"]``:
   (a) the activation start (no Hebbian terms: backprop with GTP's per-layer gains);
   (b) backprop's chosen per-layer effective rates (``eta_l tau^(L-1-l)`` set to backprop's
   ``eta_l``); (c) twice the epochs (resumed from the final run's checkpoint where it exists).

Files under ``<root>/v3/``: ``candidates/<row>-<rule>-c<k>.json``, ``choice/<row>-<rule>.json``,
``final/<row>-<rule>-v3-s<seed>.json``, ``interventions/<row>-gtp-<name>-s<seed>.json``.
Run with ``python -m gtp run v3`` (and ``relatives-v3``); ``python -m gtp status v3`` says
what is finished and what is left, with the estimated hours.
"""
import dataclasses
import json
import os

import numpy as np

from ..engine import records as R
from ..engine.records import RESULTS_ROOT, tolerance
from ..engine.rules import get_rule
from .budget import RULE_COST, calibration, cost_per_example
from .plan_base import Plan, Progress
from .protocol_v1 import ROWS, make_config, run_id
from .protocol_v2 import RELATIVES, RULES, Protocol
from .search_design import n_train_full, still_rising, trial_changes

__all__ = ["VERSION", "V3", "INTERVENTIONS", "ProtocolV3", "plan", "relatives_plan", "ranked_trials",
           "searched_ranges", "edges_of", "rising_at_end", "candidates", "intervention_changes"]

VERSION = "v3"
#: the design: candidates per rule, search trials among them at least, final budget and seeds,
#: the verdict's floor (points), interventions' seeds and the number of control rows
V3 = {"candidates": 4, "top": 2, "epochs": 20, "seeds": (0, 1, 2), "select_seed": 0,
      "floor": 0.1, "intervention_seeds": (0, 1), "controls": 2, "rising_window": 5}
#: the interventions on GTP's chosen setting: name -> what changes (intervention_changes)
INTERVENTIONS = {
    "activation-start": "the activation start: no Hebbian terms (backprop with GTP's per-layer gains)",
    "backprop-rates": "backprop's chosen per-layer effective rates eta_l tau^(L-1-l)",
    "double-epochs": "twice the epochs",
}


# --------------------------------------------------------------------------- candidates
def ranked_trials(summary):
    """The trials of a v2 search that reached its last rung, best first (validation accuracy
    at the last rung; the earlier trial on ties): ``[(score, round, trial, params)]``."""
    out = []
    n = len(summary["rounds"][0]["trials"])
    for rnd in summary["rounds"]:
        for t in rnd["trials"]:
            if t["val_acc_rung1"] is not None:
                out.append((t["val_acc_rung1"], (rnd["round"] - 1) * n + t["trial"], rnd["round"], t["trial"],
                            t["params"]))
    out.sort(key=lambda e: (-e[0], e[1]))
    return [(sc, rnd, i, p) for sc, _, rnd, i, p in out]


def searched_ranges(summary):
    """Every dimension's range as searched by the end of the search: the union of the rounds'
    ranges (a round-1 winner that round 2 explored around lies inside it)."""
    out = {}
    for rnd in summary["rounds"]:
        for name, (lo, hi, log) in rnd["ranges"].items():
            a, b, _ = out.get(name, (lo, hi, log))
            out[name] = (min(a, lo), max(b, hi), log)
    return out


def edges_of(ranges, params, edge=1 / 6):
    """Dimensions where ``params`` lies within ``edge`` of the width of an end of ``ranges``."""
    out = []
    for name, (lo, hi, log) in ranges.items():
        x = float(np.log10(params[name])) if log else float(params[name])
        if min(x - lo, hi - x) < edge * (hi - lo):
            out.append(name)
    return out


def rising_at_end(val_accs, window=None):
    """True when training longer would likely help: the best validation accuracy lies in the
    last ``window`` epochs AND their least-squares slope is positive (v2's ``still_rising``,
    a positive slope alone, flags noise).  A flag to test with the longer run, not a reason."""
    window = window or V3["rising_window"]
    v = [a for a in val_accs if a is not None]
    if len(v) < window:
        return False
    best = int(np.argmax(v))
    return best >= len(v) - window and still_rising(v, window)


def _same(params, other):
    return params.get("acts") == other.get("acts") and all(
        np.isclose(params[k], other[k], rtol=1e-9) for k in params if k != "acts" and k in other)


def candidates(row, rule, summary, n=None, top=None):
    """The candidates of ``rule`` on ``row`` given its v2 search ``summary``: a list of dicts
    ``{"index", "source" ("search" | "published"), "label", "params", "val_acc_search",
    "round", "trial", "at_edge"}``, the search's trials first (best first), then the rule's
    published settings.  A search trial equal to a published setting is left out for the
    next trial, so the candidates are distinct."""
    n, top = n or V3["candidates"], top or V3["top"]
    published = get_rule(rule).search.anchors(row)
    n_search = max(top, n - len(published))
    ranges = searched_ranges(summary)
    out = []
    for sc, rnd, i, params in ranked_trials(summary):
        if len(out) == n_search:
            break
        if any(_same(params, p) for _, p in published) or any(_same(params, c["params"]) for c in out):
            continue
        out.append({"source": "search", "label": f"search round {rnd}, trial {i}", "params": params,
                    "val_acc_search": sc, "round": rnd, "trial": i, "at_edge": edges_of(ranges, params)})
    for label, params in published[:n - len(out)]:
        out.append({"source": "published", "label": label, "params": params, "val_acc_search": None,
                    "round": None, "trial": None, "at_edge": []})
    for k, c in enumerate(out):
        c["index"] = k
    return out


def intervention_changes(name, row, gtp_changes, bp_changes, epochs):
    """``(changes, epochs)`` of intervention ``name`` on GTP's chosen ``gtp_changes``."""
    ch = dict(gtp_changes)
    if name == "activation-start":
        ch["start"] = "activation"
    elif name == "backprop-rates":
        L = len(row.sizes) - 1
        bp = [float(e) for e in np.broadcast_to(bp_changes["eta"], (L,))]
        ch["eta"] = [bp[l] / float(ch["tau"]) ** (L - 1 - l) for l in range(L)]
    elif name == "double-epochs":
        return ch, 2 * epochs
    else:
        raise ValueError(f"intervention: expected one of {tuple(INTERVENTIONS)}, got {name!r}")
    return ch, epochs


# --------------------------------------------------------------------------- the plan
class ProtocolV3(Plan):
    """Protocol v3's plan under ``root`` (``<root>/v3``), reading the v2 searches and final runs
    under the same ``root`` (``<root>/v2``)."""

    def __init__(self, rows=None, root=RESULTS_ROOT, rules=RULES, interventions=True, data=None):
        self.v2 = Protocol(rows, root=root, rules=rules, data=data)
        self.rows, self.rules, self.data = self.v2.rows, tuple(rules), data
        self.root = os.path.join(root, VERSION)
        self.checkpoints = os.path.join(root, ".checkpoints", VERSION)
        self.interventions = interventions and "gtp" in self.rules and "backprop" in self.rules
        self.epochs, self.seeds = V3["epochs"], V3["seeds"]

    @property
    def readonly(self):
        return getattr(self.v2, "readonly", False)

    @readonly.setter
    def readonly(self, value):                     # status and --dry-run read, never write
        self.v2.readonly = value

    # -- names and files
    def _name(self, row, rule):
        return f"{row.dataset}-{row.net}-{rule}"

    def candidate_path(self, row, rule, k):
        return os.path.join(self.root, "candidates", f"{self._name(row, rule)}-c{k}.json")

    def choice_path(self, row, rule):
        return os.path.join(self.root, "choice", self._name(row, rule) + ".json")

    def final_path(self, row, rule, seed):
        return os.path.join(self.root, "final", run_id(row, rule, seed, extra=VERSION) + ".json")

    def intervention_path(self, row, name, seed):
        return os.path.join(self.root, "interventions", f"{self._name(row, 'gtp')}-{name}-s{seed}.json")

    def _load(self, path):
        return self.v2._load(path)

    # -- tasks
    def _task(self, row, tid, path, cfg, extra, cost_epochs, checkpoint=None, priority=0):
        from .dask_runner import Task
        cost = self._run_cost(row, cfg.rule, cost_epochs)
        return Task(tid, path, cfg.to_dict(), extra, data=self.data, priority=priority, cost=cost,
                    checkpoint=checkpoint)

    def _copy_if_same(self, path, cfg, source, **extra):
        """Write ``source``'s finished record as ``path`` when it ran exactly ``cfg``."""
        rec = self._load(source) if os.path.exists(source) else None
        if rec is None or rec.get("config") != json.loads(json.dumps(cfg.to_dict())):
            return False
        rec = {k: v for k, v in rec.items() if k != "_path"}
        rec.update(extra, same_as=os.path.relpath(source, os.path.dirname(self.root)))
        if not self.readonly:
            R.write_json(path, rec)
        return True

    def _candidate_list(self, row, rule):
        summary = self.v2.choice(row, rule)
        return None if summary is None else candidates(row, rule, summary)

    def _config(self, row, rule, params, seed, epochs=None):
        return make_config(row, seed=seed, epochs=epochs or self.epochs, **trial_changes(row, rule, params))

    def _extra(self, row, rule, **more):
        return dict({"protocol": VERSION, "paper_row": dataclasses.asdict(row), "rule": rule}, **more)

    def _rising(self, extra):
        def add(rec):
            vals = [e["val_acc"] for e in rec["epochs"] if e["epoch"] >= 1 and not e.get("partial")]
            return dict(extra, rising_at_end=rising_at_end(vals), still_rising=still_rising(vals))
        return add

    def candidate_tasks(self, row, rule):
        """``(tasks, records)``: the candidates' tasks still to run and their records so far."""
        cands = self._candidate_list(row, rule)
        if cands is None:
            return [], None
        tasks, recs = [], []
        for c in cands:
            path = self.candidate_path(row, rule, c["index"])
            cfg = self._config(row, rule, c["params"], V3["select_seed"])
            extra = self._extra(row, rule, candidate=c, changes=trial_changes(row, rule, c["params"]),
                                run_id=os.path.basename(path)[:-5], table=f"{VERSION}/candidates")
            rec = self._load(path)
            if rec is None and self._copy_if_same(path, cfg, self.v2.final_path(row, rule, V3["select_seed"]),
                                                  **extra):
                rec = self._load(path) or self._load(self.v2.final_path(row, rule, V3["select_seed"]))
            if rec is None:
                tasks.append(self._task(row, os.path.basename(path)[:-5], path, cfg, self._rising(extra), self.epochs,
                                        priority=self._priority(row, 2)))
            recs.append(rec)
        return tasks, recs

    def _priority(self, row, stage):
        return (len(ROWS) - (ROWS.index(row) if row in ROWS else 0)) * 10 + stage

    def choice(self, row, rule):
        """The pick of ``rule`` on ``row`` (written to ``choice/``), or ``None`` while a
        candidate is running."""
        path = self.choice_path(row, rule)
        rec = self._load(path)
        if rec is not None:
            return rec
        tasks, recs = self.candidate_tasks(row, rule)
        if recs is None or tasks or any(r is None for r in recs):
            return None
        cands = self._candidate_list(row, rule)
        rows = []
        for c, r in zip(cands, recs):
            sel = r.get("selection") or {}
            rows.append(dict(c, val_acc=sel.get("val_acc_at_best", -1.0) if r["status"] == "finished" else -1.0,
                             best_epoch=sel.get("best_epoch"), status=r["status"],
                             rising_at_end=r.get("rising_at_end"), test_acc_at_best=sel.get("test_acc_at_best")))
        best = max(rows, key=lambda c: (c["val_acc"], -c["index"]))
        out = {"protocol": VERSION, "row": dataclasses.asdict(row), "rule": rule, "status": "finished",
               "design": V3, "candidates": rows, "pick": best["index"],
               "changes": trial_changes(row, rule, best["params"]),
               "note": "picked on validation accuracy at the best epoch; test accuracy is recorded, never used",
               "provenance": R.provenance()}
        if self.readonly:
            return out
        R.write_json(path, out)
        return self._load(path)

    def final_tasks(self, row, rule, ch):
        """The final runs' tasks still to run (seed 0 is the pick's candidate run)."""
        pick = ch["candidates"][ch["pick"]]
        tasks = []
        for seed in self.seeds:
            path = self.final_path(row, rule, seed)
            if self._load(path) is not None:
                continue
            cfg = self._config(row, rule, pick["params"], seed)
            extra = self._extra(row, rule, choice={k: pick[k] for k in ("index", "source", "label", "params")},
                                changes=ch["changes"], run_id=os.path.basename(path)[:-5], table=f"{VERSION}/final",
                                choice_file=os.path.relpath(self.choice_path(row, rule), self.root))
            if self._copy_if_same(path, cfg, self.candidate_path(row, rule, pick["index"]), **extra):
                continue
            if self._copy_if_same(path, cfg, self.v2.final_path(row, rule, seed), **extra):
                continue
            tasks.append(self._task(row, os.path.basename(path)[:-5], path, cfg, self._rising(extra), self.epochs,
                                    priority=self._priority(row, 1)))
        return tasks

    def final_records(self, row, rule):
        return [r for r in (self._load(self.final_path(row, rule, s)) for s in self.seeds) if r is not None]

    def gap(self, row):
        """``{"gtp", "backprop": (mean, std) in percent, "paper", "trails", "behind_backprop",
        "behind_paper": bool, "margin"}``
        of a row whose final runs have all finished, else ``None``."""
        stats = {}
        for rule in ("gtp", "backprop"):
            recs = self.final_records(row, rule)
            if len(recs) < len(self.seeds):
                return None
            m, s, _ = R.aggregate([100 * r["selection"]["test_acc_at_best"] if r.get("selection") else None
                                   for r in recs])
            stats[rule] = (m, s)
        (g, sg), (b, sb) = stats["gtp"], stats["backprop"]
        behind_bp = g < b - tolerance(sg, sb, floor=V3["floor"])
        behind_paper = g < row.paper - tolerance(sg, floor=V3["floor"])
        return dict(stats, paper=row.paper, trails=bool(behind_bp or behind_paper), margin=g - b,
                    behind_backprop=bool(behind_bp), behind_paper=bool(behind_paper))

    def intervention_rows(self):
        """``(rows, waiting)``: the rows to intervene on (trailing ones as soon as they finish;
        the controls once every row has finished) and whether rows are still running."""
        gaps = {row: self.gap(row) for row in self.rows}
        trailing = [r for r, g in gaps.items() if g is not None and g["trails"]]
        waiting = any(g is None for g in gaps.values())
        if waiting:
            return trailing, True
        others = sorted((r for r, g in gaps.items() if not g["trails"]), key=lambda r: -gaps[r]["margin"])
        return trailing + others[:V3["controls"]], False

    def intervention_tasks(self, row):
        gtp_ch, bp_ch = self._load(self.choice_path(row, "gtp")), self._load(self.choice_path(row, "backprop"))
        pick = gtp_ch["candidates"][gtp_ch["pick"]]
        tasks = []
        for name in INTERVENTIONS:
            changes, epochs = intervention_changes(name, row, gtp_ch["changes"], bp_ch["changes"], self.epochs)
            for seed in V3["intervention_seeds"]:
                path = self.intervention_path(row, name, seed)
                if self._load(path) is not None:
                    continue
                cfg = make_config(row, seed=seed, epochs=epochs, **changes)
                extra = self._extra(row, "gtp", intervention=name, what=INTERVENTIONS[name], changes=changes,
                                    run_id=os.path.basename(path)[:-5], table=f"{VERSION}/interventions")
                ckpt = None
                if name == "double-epochs":    # continue the final run of that seed where it ran here
                    ckpt = (os.path.basename(self.candidate_path(row, "gtp", pick["index"]))[:-5] if seed == 0
                            else os.path.basename(self.final_path(row, "gtp", seed))[:-5])
                tasks.append(self._task(row, os.path.basename(path)[:-5], path, cfg, self._rising(extra),
                                        epochs - (self.epochs if ckpt else 0), checkpoint=ckpt,
                                        priority=self._priority(row, 0)))
        return tasks

    def ready(self):
        tasks = []
        for row in self.rows:
            for rule in self.rules:
                t, recs = self.candidate_tasks(row, rule)
                tasks += t
                ch = self.choice(row, rule)
                if ch is not None:
                    tasks += self.final_tasks(row, rule, ch)
        if self.interventions:
            rows, _ = self.intervention_rows()
            for row in rows:
                tasks += self.intervention_tasks(row)
        return tasks

    # -- what is finished and what is left
    def _run_cost(self, row, rule, epochs=None):
        return RULE_COST.get(rule, 1.0) * cost_per_example(row) * n_train_full(row) * (epochs or self.epochs)

    def progress(self):
        """Jobs and cost of the design: the candidates and the other seeds of every rule and
        row (a run copied from v2, or to be copied, counts as done), and the interventions as
        far as they are known (a trailing row adds its runs when its final runs finish)."""
        jobs = done = 0
        cost = done_cost = 0.0
        for row in self.rows:
            for rule in self.rules:
                c = self._run_cost(row, rule)
                todo, recs = self.candidate_tasks(row, rule)
                n = V3["candidates"] if recs is None else len(recs)
                left = n if recs is None else len(todo)
                ch = self.choice(row, rule) if not todo and recs is not None else None
                others = len([s for s in self.seeds if s != V3["select_seed"]])
                left += others if ch is None else len(self.final_tasks(row, rule, ch))
                jobs, cost = jobs + n + others, cost + (n + others) * c
                done, done_cost = done + n + others - left, done_cost + (n + others - left) * c
        if self.interventions:
            rows, _ = self.intervention_rows()
            for row in rows:
                for name in INTERVENTIONS:
                    for seed in V3["intervention_seeds"]:
                        c = self._run_cost(row, "gtp", 2 * self.epochs if name == "double-epochs" else None)
                        jobs, cost = jobs + 1, cost + c
                        if self._load(self.intervention_path(row, name, seed)) is not None:
                            done, done_cost = done + 1, done_cost + c
        return Progress(jobs, done, cost, done_cost)

    def finish(self):
        picks = [self.choice(row, rule) for row in self.rows for rule in self.rules]
        return f"{sum(p is not None for p in picks)} of {len(picks)} picks made"

    def calibration(self):
        """How much slower than the v1 runs the finished v2 runs were (``budget.calibration``)."""
        return calibration(os.path.dirname(self.root))


def plan(root=None, rows=None, **options):
    """Protocol v3 for GTP and backprop on ``rows`` (default: all 16) under ``root``."""
    return ProtocolV3(rows, root=root or RESULTS_ROOT, **options)


def relatives_plan(root=None, rows=None, **options):
    """Protocol v3 for the relatives (FA, DFA, DTP, TP) on their four networks, reading their
    v2 searches under ``<root>/relatives``; no interventions (those are GTP's)."""
    keep = set(RELATIVES["rows"])
    rows = [r for r in (rows or ROWS) if (r.dataset, r.net) in keep]
    return ProtocolV3(rows, root=os.path.join(root or RESULTS_ROOT, "relatives"), rules=RELATIVES["rules"],
                      interventions=False, **options)
