"""Protocol v3 as numbers: each row's choice at the final horizon, its final runs beside the
paper, the interventions on GTP's gaps, and the plain verdict.

An explanation of a gap counts as a *reason* only where its intervention closes the gap: the
intervened runs' mean moves GTP's mean by more than the seeds' spread (``tolerance``) towards
the reference, and the book says how much of the gap it closes; otherwise the cause is
unknown.  Everything is selected on validation; test accuracy is only reported.
"""
import os

from ..engine import records as R
from ..engine.records import RESULTS_ROOT, tolerance
from ..engine.rules import get_rule
from ..experiments import protocol_v3 as P3
from ..maths import paper

__all__ = ["v3_cell", "v3_data", "v3_markdown", "interventions_data", "interventions_markdown",
           "relatives_v3_data", "ranking_markdown", "reasons", "reasons_markdown", "plain_verdict", "per_dataset_markdown", "verdict_sentence",
           "INTERVENTION_NAMES"]


def _percent(recs, key="test_acc_at_best"):
    vals = [100 * r["selection"][key] for r in recs if r.get("selection") and r["selection"].get(key) is not None]
    return vals


def v3_cell(plan, row, rule):
    """One rule's v3 cell (percent): ``mean``, ``std``, ``n``, ``seeds``, ``values``, the
    pick (``choice``: the candidate's label, source and params) and ``state``."""
    recs = plan.final_records(row, rule)
    recs = [r for r in recs if r.get("status") in ("finished", "diverged")]
    values = _percent(recs)
    mean, std, n = R.aggregate(values)
    ch = plan._load(plan.choice_path(row, rule))
    cands = sum(plan._load(plan.candidate_path(row, rule, k)) is not None for k in range(P3.V3["candidates"]))
    pick = ch["candidates"][ch["pick"]] if ch else None
    return {"rule": rule, "mean": mean, "std": std, "n": n, "values": values,
            "seeds": sorted(r["config"]["seed"] for r in recs),
            "mean_last": R.aggregate(_percent(recs, "test_acc_last"))[0],
            "rising_at_end": sum(bool(r.get("rising_at_end")) for r in recs),
            "choice": pick, "candidates": ch["candidates"] if ch else None,
            "state": "done" if n == len(plan.seeds) else "final runs" if ch else
                     f"choosing: {cands} of {P3.V3['candidates']} candidates trained"}


def v3_data(root=None, tables=(1, 2, 3), rules=("gtp", "backprop"), plan=None):
    """Every row of ``tables`` under protocol v3 (or of ``plan``, e.g.
    ``protocol_v3.relatives_plan()``): ``table``, ``dataset``, ``net``, ``paper`` and one
    :func:`v3_cell` per rule of the plan."""
    if plan is None:
        plan = P3.ProtocolV3(paper.rows_of(tables), root=root or RESULTS_ROOT, rules=rules, interventions=False)
    out = []
    for row in plan.rows:
        d = {"table": row.table, "dataset": row.dataset, "net": row.net, "paper": row.paper}
        for rule in plan.rules:
            d[rule] = v3_cell(plan, row, rule)
        out.append(d)
    return out


def relatives_v3_data(root=None):
    """The relatives' four networks under protocol v3: every rule's :func:`v3_cell`, GTP's and
    backprop's from ``<root>/v3``, FA's, DFA's, DTP's and TP's from ``<root>/relatives/v3``."""
    rel = v3_data(plan=P3.relatives_plan(root or RESULTS_ROOT))
    own = {(r["dataset"], r["net"]): r for r in v3_data(root)}
    return [dict(own[(r["dataset"], r["net"])], **{k: v for k, v in r.items() if k not in own[(r["dataset"], r["net"])]})
            for r in rel]


def _cell(c):
    """'98.27 ± 0.03 (3) s0,1,2 ↑1/3; printed, sigmoid everywhere' (↑: seeds still rising at
    the end, ``protocol_v3.rising_at_end``), or what is still running."""
    if not c["n"]:
        return c["state"]
    text = f"{c['mean']:.2f} ± {c['std']:.2f} ({c['n']}) s" + ",".join(map(str, c["seeds"]))
    if c["rising_at_end"]:
        text += f" ↑{c['rising_at_end']}/{c['n']}"
    if c["state"] != "done":
        text += f" [{len(P3.V3['seeds']) - c['n']} seed(s) running]"
    return text + (f"; {c['choice']['label']}" if c["choice"] else "")


def v3_markdown(rows, rules=("gtp", "backprop")):
    """The v3 table: the paper's number, then per rule the test accuracy (%) at the epoch
    selected on validation, mean ± std over seeds (how many) and the seeds, and its pick."""
    names = [get_rule(r).label if len(rules) <= 2 else get_rule(r).short for r in rules]
    head = "| data set | network | paper | " + " | ".join(names) + " |"
    lines = [head, "|" + "---|" * (3 + len(rules))]
    for r in rows:
        lines.append(f"| {paper.TABLE_NAMES[r['table']]} | {r['net']} | {r['paper']:.2f} | "
                     + " | ".join(_cell(r[rule]) for rule in rules) + " |")
    return "\n".join(lines)


def ranking_markdown(rows, rules):
    """Per network where every rule's v3 runs have finished: the rules by mean test accuracy,
    the rules that reach GTP (mean at least GTP's minus the seeds' spread) and those GTP
    leads by more than the spread; '-' when there are none."""
    lines = ["| data set | network | ranking (mean %) | reach GTP (within the spread) | GTP ahead of |",
             "|---|---|---|---|---|"]
    for r in rows:
        if not all(r[k]["state"] == "done" for k in rules):
            continue
        g = r["gtp"]
        order = sorted(rules, key=lambda k: -r[k]["mean"])
        others = [k for k in rules if k != "gtp"]
        tol = {k: tolerance(g["std"], r[k]["std"], floor=P3.V3["floor"]) for k in others}
        reach = [get_rule(k).short for k in others if r[k]["mean"] >= g["mean"] - tol[k]]
        behind = [get_rule(k).short for k in others if g["mean"] - r[k]["mean"] > tol[k]]
        lines.append(f"| {paper.TABLE_NAMES[r['table']]} | {r['net']} | "
                     + ", ".join(f"{get_rule(k).short} {r[k]['mean']:.2f}" for k in order)
                     + f" | {', '.join(reach) or '-'} | {', '.join(behind) or '-'} |")
    return "\n".join(lines)


#: how the book names each intervention (protocol_v3.INTERVENTIONS says what it changes)
INTERVENTION_NAMES = {"activation-start": "no Hebbian terms (the activation start)",
                      "backprop-rates": "backprop's per-layer rates",
                      "double-epochs": "twice the epochs"}


def _row_name(row):
    return f"{paper.TABLE_NAMES[row.table]} {row.net}"


def interventions_data(root=None, tables=(1, 2, 3)):
    """Per row with interventions, the gap GTP trails by and what each intervention does to it.

    The *reference* is backprop where GTP trails it by more than the seeds' spread, else the
    paper (a row that trails neither is a *control*).  Per intervention, the intervened runs
    (seeds ``V3["intervention_seeds"]``) against GTP's final runs with the same seeds:
    ``{"mean", "std", "n", "expected", "seeds", "base", "shift", "tol", "closes", "fraction"}``,
    ``shift`` the change of the mean (points), ``tol`` the two sets' combined spread (at
    least ``V3["floor"]``), ``closes``: every seed has run and the shift towards the
    reference exceeds ``tol``, ``fraction``: the share of the gap the shift closes.
    Returns ``[{"row", "dataset", "net", "trails", "reference", "gap", "gap_backprop",
    "gap_paper", "interventions"}]``."""
    plan = P3.ProtocolV3(paper.rows_of(tables), root=root or RESULTS_ROOT)
    expected = len(P3.V3["intervention_seeds"])
    out = []
    for row in plan.rows:
        gap = plan.gap(row)
        if gap is None:
            continue
        (g, _), (b, _) = gap["gtp"], gap["backprop"]
        reference = "backprop" if gap["behind_backprop"] else "paper" if gap["behind_paper"] else None
        to_close = {"backprop": b - g, "paper": row.paper - g, None: None}[reference]
        ivs = {}
        for name in P3.INTERVENTIONS:
            recs = [plan._load(plan.intervention_path(row, name, s)) for s in P3.V3["intervention_seeds"]]
            recs = [r for r in recs if r is not None and r.get("status") in ("finished", "diverged")]
            if not recs:
                continue
            seeds = [r["config"]["seed"] for r in recs]
            base = _percent([r for r in plan.final_records(row, "gtp") if r["config"]["seed"] in seeds])
            m, s, n = R.aggregate(_percent(recs))
            bm, bs, _ = R.aggregate(base)
            shift = m - bm
            tol = tolerance(s, bs, floor=P3.V3["floor"])
            ivs[name] = {"mean": m, "std": s, "n": n, "expected": expected, "seeds": seeds, "base": bm,
                         "shift": shift, "tol": tol,
                         "closes": n == expected and to_close is not None and to_close > 0 and shift > tol,
                         "fraction": shift / to_close if to_close else None}
        if ivs or reference:
            out.append({"row": _row_name(row), "dataset": row.dataset, "net": row.net,
                        "trails": gap["trails"], "reference": reference,
                        "gap": to_close, "gap_backprop": b - g, "gap_paper": row.paper - g,
                        "interventions": ivs})
    return out


def _shift_text(iv):
    text = f"{iv['shift']:+.2f} ± {iv['tol']:.2f}"
    if iv["n"] < iv["expected"]:
        return f"{text} ({iv['n']} of {iv['expected']} seeds)"
    return text


def interventions_markdown(data):
    """The intervention table: per row the gap and its reference, then what each intervention
    shifts GTP's mean by (points, ± the combined spread) and the share of the gap it closes."""
    names = list(P3.INTERVENTIONS)
    lines = ["| row | GTP trails | " + " | ".join(INTERVENTION_NAMES[n] for n in names) + " |",
             "|" + "---|" * (2 + len(names))]
    for d in data:
        cells = []
        for n in names:
            iv = d["interventions"].get(n)
            if iv is None:
                cells.append("running")
                continue
            frac = f", {100 * iv['fraction']:.0f} % of the gap" if iv["fraction"] is not None and d["reference"] else ""
            cells.append(_shift_text(iv) + frac + (" **closes it**" if iv["closes"] else ""))
        trails = (f"{d['reference']} by {d['gap']:.2f}" if d["reference"] else
                  f"neither (control; {-d['gap_backprop']:+.2f} against backprop)")
        lines.append(f"| {d['row']} | {trails} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def reasons(data):
    """Per trailing row what the interventions say: ``{"row", "reference", "gap", "state",
    "reasons": [(name, intervention)], "running": [names]}``, ``state`` "reason" (some
    intervention closes the gap), "unknown" (every intervention has run, none closes it) or
    "running".  Control rows are left out: nothing there needs a reason."""
    out = []
    for d in data:
        if not d["reference"]:
            continue
        ivs = d["interventions"]
        found = [(n, iv) for n, iv in ivs.items() if iv["closes"]]
        running = [n for n in P3.INTERVENTIONS if n not in ivs or ivs[n]["n"] < ivs[n]["expected"]]
        state = "reason" if found else "running" if running else "unknown"
        out.append({"row": d["row"], "reference": d["reference"], "gap": d["gap"], "state": state,
                    "reasons": found, "running": running})
    return out


def reasons_markdown(data):
    """One line per trailing row: the interventions that close its gap (how much of it, with
    the spread), or that its cause is unknown, or what is still running."""
    lines = []
    for r in reasons(data):
        head = f"- **{r['row']}** (trails {r['reference']} by {r['gap']:.2f} points): "
        if r["reasons"]:
            lines.append(head + "; ".join(
                f"{INTERVENTION_NAMES[n]} closes {100 * iv['fraction']:.0f} % of the gap "
                f"({iv['shift']:+.2f} ± {iv['tol']:.2f} points)" for n, iv in r["reasons"])
                + ("" if not r["running"] else
                   "; still running: " + ", ".join(INTERVENTION_NAMES[n] for n in r["running"])) + ".")
        elif r["state"] == "unknown":
            lines.append(head + "no intervention closes the gap: the cause is unknown.")
        else:
            lines.append(head + "no intervention has closed the gap so far; still running: "
                         + ", ".join(INTERVENTION_NAMES[n] for n in r["running"]) + ".")
    return "\n".join(lines) if lines else "No row trails backprop or the paper among the finished rows."


def plain_verdict(rows):
    """Counts and margins over the rows whose runs have all finished (``rows`` from
    :func:`v3_data`): ``{"rows", "total", "pending", "reaches_paper", "reaches_backprop",
    "margins", "mean_margin", "std_margin", "largest", "per_dataset"}``.  A margin is GTP's
    mean minus backprop's (points); ``std_margin`` its spread over rows; ``largest`` the row
    where GTP is furthest below backprop, ``{"row", "margin", "tol"}`` with the two rules'
    combined spread over seeds there.  *Reaching* a reference: GTP's mean at least the
    reference minus the seeds' spread (at least ``V3["floor"]`` points).  ``per_dataset``:
    the same counts and margins per data set, in the paper's order."""
    def finished(r):
        return all(r[k]["state"] == "done" for k in ("gtp", "backprop"))
    done = [r for r in rows if finished(r)]
    out = {"rows": len(done), "total": len(rows), "reaches_paper": 0, "reaches_backprop": 0, "margins": [],
           "pending": [f"{paper.TABLE_NAMES[r['table']]} {r['net']}" for r in rows if not finished(r)],
           "mean_margin": None, "std_margin": None, "largest": None, "per_dataset": {}}
    for r in done:
        g, b = r["gtp"], r["backprop"]
        paper_ok = g["mean"] >= r["paper"] - tolerance(g["std"], floor=P3.V3["floor"])
        tol = tolerance(g["std"], b["std"], floor=P3.V3["floor"])
        bp_ok = g["mean"] >= b["mean"] - tol
        m = g["mean"] - b["mean"]
        name = f"{paper.TABLE_NAMES[r['table']]} {r['net']}"
        d = out["per_dataset"].setdefault(paper.TABLE_NAMES[r["table"]],
                                          {"rows": 0, "reaches_paper": 0, "reaches_backprop": 0, "margins": []})
        for c in (out, d):
            c["reaches_paper"] += paper_ok
            c["reaches_backprop"] += bp_ok
            c["margins"].append(m)
        d["rows"] += 1
        if out["largest"] is None or m < out["largest"]["margin"]:
            out["largest"] = {"row": name, "margin": m, "tol": tol}
    for c in [out, *out["per_dataset"].values()]:
        if c["margins"]:
            c["mean_margin"], c["std_margin"], _ = R.aggregate(c["margins"])
    return out


def _points(m):
    return f"{abs(m):.2f} points {'below' if m < 0 else 'above'}"


def per_dataset_markdown(v):
    """The plain verdict per data set: rows finished, how many reach backprop and the paper,
    GTP's mean margin to backprop (± its spread over rows) and the largest shortfall."""
    lines = ["| data set | rows finished | GTP reaches backprop | GTP reaches the paper | "
             "GTP - backprop, mean ± std over rows | furthest below backprop |", "|---|---|---|---|---|---|"]
    for name, d in list(v["per_dataset"].items()) + [("all", v)]:
        if not d["rows"]:
            continue
        lines.append(f"| {name} | {d['rows']} | {d['reaches_backprop']} | {d['reaches_paper']} | "
                     f"{d['mean_margin']:+.2f} ± {d['std_margin']:.2f} | {min(d['margins']):+.2f} |")
    return "\n".join(lines)


def verdict_sentence(v):
    """One sentence that answers the abstract's claim ("at least as good as ... backpropagation")
    from :func:`plain_verdict`; it says how many rows it rests on while some still run."""
    if not v["rows"]:
        return "No row has finished under protocol v3 yet, so protocol v3 has no verdict yet."
    lg = v["largest"]
    worst = (f"at most {_points(lg['margin'])} on {lg['row']} (± {lg['tol']:.2f} over seeds)"
             if lg["margin"] < 0 else "and above it on every row")
    sentence = (f"The abstract's claim, results at least as good as backpropagation's, holds on "
                f"{v['reaches_backprop']} of {v['rows']} rows when both rules get the same tuning budget "
                f"and their settings are chosen at the final horizon (within the seeds' spread): GTP is on "
                f"average {_points(v['mean_margin'])} backprop (± {v['std_margin']:.2f} over rows), {worst}, "
                f"and reaches the paper's own number on {v['reaches_paper']} of {v['rows']} rows")
    if v["rows"] < v["total"]:
        sentence += (f" (these are the {v['rows']} of {v['total']} rows finished when this was computed; "
                     f"the others are still running)")
    return sentence + "."


def v3_exists(root=None):
    return os.path.isdir(os.path.join(root or RESULTS_ROOT, P3.VERSION))
