"""Reading the relatives' experiments: the equal-budget protocol's final runs of feedback
alignment, direct feedback alignment, target propagation and difference target
propagation (``python -m gtp relatives``, ``results/relatives/v2/``) next to GTP and backprop
on the same rows (``results/v2/``, not rerun).  Numbers only; the chapter writes the
sentences.  (``gtp.report`` reads the Training part's results; this module is its
counterpart for the part "GTP among its relatives".)
"""
import math
import os

from . import results as R
from .paper import RESULTS_ROOT

__all__ = ["relatives_summary", "relatives_markdown", "angle_curves", "final_records"]


def _plan(root, rows, rules):
    from .protocol import Protocol
    return Protocol(rows, root=root, rules=rules)


def final_records(row, rule, root=None):
    """The finished final runs (records with a selection) of ``rule`` on ``row`` under
    ``root`` (default: ``results/relatives`` for a relative, ``results`` for GTP and backprop)."""
    from .learning_rules import get_rule
    from .protocol import RELATIVES
    if root is None:
        root = RELATIVES["root"] if get_rule(rule).part == "relatives" else RESULTS_ROOT
    plan = _plan(root, [row], (rule,))
    recs = [R.load_record(plan.final_path(row, rule, s)) for s in plan.seeds
            if os.path.exists(plan.final_path(row, rule, s))]
    return [r for r in recs if r.get("selection")]


def relatives_summary(root=None, rows=None, rules=None, v2_root=None):
    """One dict per row: the paper's accuracy and, per rule (GTP and backprop from
    ``v2_root``, the others from ``root``), the seeds, test accuracies at the selected
    epoch (fractions), their mean and std, and how many runs diverged."""
    from .learning_rules import rules_of
    from .protocol import RELATIVES, RULES, relatives_rows
    root = root or RELATIVES["root"]
    rows = rows if rows is not None else relatives_rows()
    rules = tuple(rules or RELATIVES["rules"])
    out = []
    for row in rows:
        d = {"dataset": row.dataset, "net": row.net, "paper": row.paper / 100, "rules": {}}
        for rule in tuple(RULES) + tuple(r for r in rules if r not in RULES):
            recs = final_records(row, rule, (v2_root or RESULTS_ROOT) if rule not in rules_of("relatives")
                                 else root)
            best = [r["selection"]["test_acc_at_best"] for r in recs]
            d["rules"][rule] = {"seeds": [r["config"]["seed"] for r in recs], "test_at_best": best,
                                "mean": R.aggregate(best)[0], "std": R.aggregate(best)[1],
                                "diverged": sum(r["status"] == "diverged" for r in recs)}
        out.append(d)
    return out


def relatives_markdown(root=None, rows=None, rules=None, v2_root=None):
    """Markdown table: data set | network | paper | one column per rule (test accuracy % at
    the epoch selected on validation, mean ± std and the seeds)."""
    from .learning_rules import get_rule
    data = relatives_summary(root, rows, rules, v2_root)
    names = list(data[0]["rules"]) if data else []
    lines = ["| data set | network | paper | " + " | ".join(get_rule(n).label for n in names) + " |",
             "|" + "---|" * (3 + len(names))]
    for d in data:
        cells = []
        for n in names:
            m = d["rules"][n]
            cells.append(R.fmt_mean_std(m["test_at_best"]) + " s" + ",".join(map(str, m["seeds"]))
                         if m["seeds"] else "not run yet")
        lines.append(f"| {d['dataset']} | {d['net']} | {100 * d['paper']:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def angle_curves(rec):
    """Per-layer angle to backprop (degrees) over the epochs of one run record:
    ``{"epoch": [...], "angle": [[layer 0, ...], ...]}``.  Records written before the
    ``"angle"`` field existed (the v2 GTP runs) give it from ``cos_batch`` (the same angle:
    ``degrees(arccos(cos_batch))``); a backprop run's is 0."""
    epochs, angles = [], []
    L = len(rec["config"]["sizes"]) - 1
    for e in rec["epochs"]:
        if e.get("partial"):
            continue
        if "angle" in e:
            a = e["angle"]
        elif rec["config"]["rule"] == "backprop":
            a = [0.0] * L
        elif rec["config"]["rule"] == "gtp" and "cos_batch" in e:
            a = [None if c is None else math.degrees(math.acos(max(-1.0, min(1.0, c))))
                 for c in e["cos_batch"]]
        else:
            continue
        epochs.append(e["epoch"])
        angles.append(a)
    return {"epoch": epochs, "angle": angles}
