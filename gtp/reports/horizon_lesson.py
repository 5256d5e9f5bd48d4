"""The tuning lesson of protocol v2: a search that sees a short horizon picks settings that
learn fast and peak early.

Protocol v2 ranked its trials after ``SEARCH["n_train"] * SEARCH["rung_epochs"][-1]``
examples (80,000); its final runs saw 20 epochs of the full training split (1,000,000 on
MNIST).  Protocol v3 trains each candidate setting at the final horizon (``candidates/``),
so the same candidates can be ranked twice: at the first measured epoch past the search's
horizon and at the best epoch of the whole run.  Where the two leaders differ, the short
horizon would have picked another setting.  Everything is on the validation split.

Used by ``book/training/tuning-lesson.md``.
"""
import numpy as np

from ..engine import records as R
from ..engine.records import RESULTS_ROOT, tolerance
from ..experiments import protocol_v3 as P3
from ..experiments.search_design import SEARCH
from ..maths import paper

__all__ = ["search_horizon", "val_curve", "candidate_curves", "final_curves", "peak_and_fall",
           "horizon_rows", "horizon_markdown", "largest_change", "first_agreement", "peak_rows", "peak_markdown", "early_peaks"]


def search_horizon():
    """Examples a v2 search trial saw before its last ranking (``n_train`` x last rung's epochs)."""
    return SEARCH["n_train"] * SEARCH["rung_epochs"][-1]


def val_curve(rec):
    """``(examples, val)``: a run's validation accuracy (percent) after each full epoch."""
    eps = [e for e in rec["epochs"] if e["epoch"] >= 1 and not e.get("partial")]
    return (np.array([e["examples"] for e in eps], dtype=float),
            np.array([100 * e["val_acc"] for e in eps], dtype=float))


def _v2_pick(plan, row, rule):
    """(round, trial) of v2's choice, from its seed-0 final run."""
    rec = plan._load(plan.v2.final_path(row, rule, 0))
    ch = (rec or {}).get("choice") or {}
    return ch.get("round"), ch.get("trial")


def candidate_curves(row, rule="gtp", root=None, horizon=None):
    """The v3 candidates of one row and rule at the final horizon, or ``None`` until v3 has
    chosen there: ``{"row", "rule", "horizon", "early_epoch", "candidates": [{"label",
    "source", "params", "examples", "val", "best_epoch", "best_val", "early_val",
    "v2_pick", "picked"}], "early_leader", "final_leader"}``.

    ``per_epoch``: training examples in one epoch; ``early_epoch``: the first epoch whose examples reach ``horizon`` (default
    :func:`search_horizon`; try others to see when the ranking settles);
    ``early_val``: validation accuracy there (``nan`` for a run that diverged before it);
    the leaders are indices into ``candidates`` (the earliest on ties, as v3 picks).
    ``margin``: how far (points, validation, final horizon) the final leader is ahead of the
    early one; ``tol``: what two single-seed runs of one setting may differ by (the pick's
    final runs' spread over seeds, doubled in variance, at least ``V3["floor"]``), ``None``
    until those runs finish; ``clear``: the margin exceeds ``tol`` (``None`` while pending)."""
    plan = P3.ProtocolV3([row], root=root or RESULTS_ROOT, rules=(rule,), interventions=False)
    ch = plan._load(plan.choice_path(row, rule))
    if ch is None:
        return None
    horizon = horizon or search_horizon()
    v2_pick = _v2_pick(plan, row, rule)
    cands, early_epoch = [], None
    for k, c in enumerate(ch["candidates"]):
        rec = plan._load(plan.candidate_path(row, rule, k))
        x, v = val_curve(rec)
        past = np.flatnonzero(x >= horizon)
        if early_epoch is None and past.size:
            early_epoch = int(past[0]) + 1
        cands.append({"label": c["label"], "source": c["source"], "params": c["params"],
                      "examples": x, "val": v, "best_epoch": c["best_epoch"], "best_val": 100 * c["val_acc"],
                      "v2_pick": c["source"] == "search" and (c["round"], c["trial"]) == v2_pick,
                      "picked": k == ch["pick"]})
    for c in cands:
        c["early_val"] = c["val"][early_epoch - 1] if early_epoch and len(c["val"]) >= early_epoch else np.nan
    early = [(-np.inf if np.isnan(c["early_val"]) else c["early_val"]) for c in cands]
    e, f = int(np.argmax(early)), ch["pick"]
    finals = [r["selection"]["val_acc_at_best"] for r in plan.final_records(row, rule) if r.get("selection")]
    spread = None
    if len(finals) == len(plan.seeds):
        spread = tolerance(*2 * [100 * R.aggregate(finals)[1]], floor=P3.V3["floor"])
    margin = cands[f]["best_val"] - cands[e]["best_val"]
    per_epoch = next((int(c["examples"][0]) for c in cands if len(c["examples"])), None)
    return {"row": row, "rule": rule, "horizon": horizon, "early_epoch": early_epoch, "per_epoch": per_epoch,
            "candidates": cands, "early_leader": e, "final_leader": f, "margin": margin, "tol": spread,
            "clear": None if spread is None else bool(margin > spread)}


def final_curves(row, rule="gtp", root=None, protocols=("v2", "v3")):
    """Both protocols' final runs of one row and rule: ``{"v2": [...], "v3": [...]}``, each a
    list over seeds of ``{"seed", "examples", "val", "best_epoch", "test_at_best",
    "test_last"}`` (percent); a protocol with no finished run has an empty list."""
    plan = P3.ProtocolV3([row], root=root or RESULTS_ROOT, rules=(rule,), interventions=False)
    out = {}
    paths = {"v2": plan.v2.final_path, "v3": plan.final_path}
    for name, path in ((p, paths[p]) for p in protocols):
        runs = []
        for seed in plan.seeds:
            rec = plan._load(path(row, rule, seed))
            if rec is None or not rec.get("selection"):
                continue
            x, v = val_curve(rec)
            sel = rec["selection"]
            runs.append({"seed": seed, "examples": x, "val": v, "best_epoch": sel["best_epoch"],
                         "test_at_best": 100 * sel["test_acc_at_best"], "test_last": 100 * sel["test_acc_last"]})
        out[name] = runs
    return out


def peak_and_fall(run):
    """``(peak epoch, points lost from the peak to the last epoch)`` of one run's validation curve."""
    v = run["val"]
    k = int(np.argmax(v))
    return k + 1, float(v[k] - v[-1])


def horizon_rows(root=None, tables=(1, 2, 3), rules=("gtp", "backprop")):
    """:func:`candidate_curves` of every row and rule where v3 has chosen, in the tables' order."""
    out = []
    for row in paper.rows_of(tables):
        for rule in rules:
            d = candidate_curves(row, rule, root)
            if d is not None:
                out.append(d)
    return out


def largest_change(rows):
    """The entry of :func:`horizon_rows` whose final leader is furthest ahead of the setting
    that led at the search's horizon, or ``None`` when no choice changed."""
    changed = [d for d in rows if d["early_leader"] != d["final_leader"]]
    return max(changed, key=lambda d: d["margin"]) if changed else None


def first_agreement(d):
    """The first epoch at which the candidate leading on validation is v3's pick (one entry
    of :func:`horizon_rows`), or ``None`` if it never leads at an epoch's end: how long a
    search would have had to train to rank as the final horizon does."""
    n = max(len(c["val"]) for c in d["candidates"])
    for k in range(n):
        vals = [c["val"][k] if len(c["val"]) > k and not np.isnan(c["val"][k]) else -np.inf
                for c in d["candidates"]]
        if int(np.argmax(vals)) == d["final_leader"]:
            return k + 1
    return None


def _name(c):
    return c["label"] + (" (v2's pick)" if c["v2_pick"] else "")


def _ahead(d):
    if d["early_leader"] == d["final_leader"]:
        return "same setting"
    noise = "final seeds running" if d["tol"] is None else f"± {d['tol']:.2f}"
    verdict = {None: "", True: ", **clear**", False: ", within noise"}[d["clear"]]
    return f"{d['margin']:.2f} ({noise}{verdict})"


def horizon_markdown(rows):
    """One line per row and rule: the leader at the search's horizon and at the final one."""
    lines = ["| data set | network | rule | leads after the search's horizon | leads at the final horizon "
             "| ahead by (noise) |", "|---|---|---|---|---|---|"]
    for d in rows:
        row, c = d["row"], d["candidates"]
        e, f = c[d["early_leader"]], c[d["final_leader"]]
        lines.append(f"| {paper.TABLE_NAMES[row.table]} | {row.net} | {d['rule']} | "
                     f"{_name(e)}: {e['early_val']:.2f} % (epoch {d['early_epoch']}) | "
                     f"{_name(f)}: {f['best_val']:.2f} % (epoch {f['best_epoch']}) | "
                     f"{_ahead(d)} |")
    return "\n".join(lines)


def peak_rows(root=None, tables=(1, 2, 3), rules=("gtp", "backprop"), protocol="v2"):
    """Per row, per rule: where ``protocol``'s final runs peak on validation and what they lose
    by the last epoch: ``{"row", rule: {"peak": [epochs], "fall": [points], "seeds"}}``, for
    the rows where every rule has all its seeds."""
    out = []
    for row in paper.rows_of(tables):
        d = {"row": row}
        for rule in rules:
            runs = final_curves(row, rule, root, protocols=(protocol,))[protocol]
            pf = [peak_and_fall(r) for r in runs]
            d[rule] = {"peak": [p for p, _ in pf], "fall": [f for _, f in pf], "seeds": [r["seed"] for r in runs]}
        if all(len(d[rule]["seeds"]) == len(P3.V3["seeds"]) for rule in rules):
            out.append(d)
    return out


def peak_markdown(rows, rules=("gtp", "backprop")):
    """The peak epochs (per seed) and the mean fall to the last epoch, per row and rule."""
    lines = ["| data set | network | " + " | ".join(f"{r}: peak epochs, fall by the end" for r in rules) + " |",
             "|---|---|" + "---|" * len(rules)]
    for d in rows:
        cells = [f"{', '.join(map(str, d[r]['peak']))}; {np.mean(d[r]['fall']):.2f}" for r in rules]
        lines.append(f"| {paper.TABLE_NAMES[d['row'].table]} | {d['row'].net} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def early_peaks(rows, rules=("gtp", "backprop"), within=None):
    """``(row, rule)`` of :func:`peak_rows` whose every seed peaked within the first
    ``within`` epochs (default: the first half of ``V3["epochs"]``)."""
    within = within or P3.V3["epochs"] // 2
    return [(d["row"], rule) for d in rows for rule in rules if max(d[rule]["peak"]) <= within]
