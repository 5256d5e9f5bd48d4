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
from ..experiments import protocol_v3 as P3
from ..maths import paper

__all__ = ["v3_cell", "v3_data", "v3_markdown", "interventions_data", "interventions_markdown",
           "plain_verdict", "verdict_sentence"]


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
                     f"candidates {cands}/{P3.V3['candidates']}"}


def v3_data(root=None, tables=(1, 2, 3), rules=("gtp", "backprop")):
    """Every row of ``tables`` under protocol v3: ``table``, ``dataset``, ``net``, ``paper``
    and one :func:`v3_cell` per rule."""
    plan = P3.ProtocolV3(paper.rows_of(tables), root=root or RESULTS_ROOT, rules=rules, interventions=False)
    out = []
    for row in plan.rows:
        d = {"table": row.table, "dataset": row.dataset, "net": row.net, "paper": row.paper}
        for rule in rules:
            d[rule] = v3_cell(plan, row, rule)
        out.append(d)
    return out


def _cell(c):
    if not c["n"]:
        return c["state"]
    pick = c["choice"]["label"] if c["choice"] else ""
    return f"{c['mean']:.2f} ± {c['std']:.2f} ({c['n']}); {pick}"


def v3_markdown(rows, rules=("gtp", "backprop")):
    """The v3 table: paper, then each rule's mean ± std (seeds) and its pick."""
    head = "| data set | network | paper | " + " | ".join(rules) + " |"
    lines = [head, "|" + "---|" * (3 + len(rules))]
    for r in rows:
        lines.append(f"| {paper.TABLE_NAMES[r['table']]} | {r['net']} | {r['paper']:.2f} | "
                     + " | ".join(_cell(r[rule]) for rule in rules) + " |")
    return "\n".join(lines)


def interventions_data(root=None, tables=(1, 2, 3)):
    """Per row with interventions: the reference gap and, per intervention, the intervened
    runs' mean ± std against GTP's final runs with the same seeds: ``{"row", "gap_backprop",
    "gap_paper", "interventions": {name: {"mean", "std", "n", "base", "shift", "tol",
    "closes", "fraction"}}}`` (``closes``: the shift towards the reference exceeds the
    tolerance; ``fraction``: the share of the gap to backprop it closes)."""
    plan = P3.ProtocolV3(paper.rows_of(tables), root=root or RESULTS_ROOT)
    out = []
    for row in plan.rows:
        gap = plan.gap(row)
        if gap is None:
            continue
        ivs = {}
        for name in P3.INTERVENTIONS:
            recs = [plan._load(plan.intervention_path(row, name, s)) for s in P3.V3["intervention_seeds"]]
            recs = [r for r in recs if r is not None]
            if not recs:
                continue
            seeds = [r["config"]["seed"] for r in recs]
            base = _percent([r for r in plan.final_records(row, "gtp") if r["config"]["seed"] in seeds])
            m, s, n = R.aggregate(_percent(recs))
            bm, bs, _ = R.aggregate(base)
            shift = m - bm
            tol = tolerance(s, bs, floor=P3.V3["floor"])
            to_close = gap["backprop"][0] - gap["gtp"][0]
            ivs[name] = {"mean": m, "std": s, "n": n, "seeds": seeds, "base": bm, "shift": shift, "tol": tol,
                         "closes": shift > tol and to_close > 0,
                         "fraction": shift / to_close if to_close > 0 else None}
        if ivs:
            out.append({"row": f"{paper.TABLE_NAMES[row.table]} {row.net}", "trails": gap["trails"],
                        "gap_backprop": gap["backprop"][0] - gap["gtp"][0], "gap_paper": row.paper - gap["gtp"][0],
                        "interventions": ivs})
    return out


def interventions_markdown(data):
    """The intervention table: per row the gap to backprop and what each intervention shifts."""
    names = list(P3.INTERVENTIONS)
    lines = ["| row | gap to backprop | " + " | ".join(names) + " |", "|" + "---|" * (2 + len(names))]
    for d in data:
        cells = []
        for n in names:
            iv = d["interventions"].get(n)
            if iv is None:
                cells.append("running")
                continue
            frac = "" if iv["fraction"] is None else f", {100 * iv['fraction']:.0f} % of the gap"
            cells.append(f"{iv['shift']:+.2f} (± {iv['tol']:.2f}){frac}" + (" **closes**" if iv["closes"] else ""))
        lines.append(f"| {d['row']}{'' if d['trails'] else ' (control)'} | {d['gap_backprop']:+.2f} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def plain_verdict(rows):
    """Counts and margins over the rows whose runs have all finished: ``{"rows",
    "reaches_paper", "reaches_backprop", "mean_margin", "largest_margin", "per_dataset"}``
    (margins GTP - backprop in points; reaching: within the seeds' spread, at least
    ``V3["floor"]`` points)."""
    done = [r for r in rows if r["gtp"]["n"] and r["backprop"]["n"] and r["gtp"]["state"] == "done"
            and r["backprop"]["state"] == "done"]
    out = {"rows": len(done), "reaches_paper": 0, "reaches_backprop": 0, "margins": [], "per_dataset": {}}
    for r in done:
        g, b = r["gtp"], r["backprop"]
        paper_ok = g["mean"] >= r["paper"] - tolerance(g["std"], floor=P3.V3["floor"])
        bp_ok = g["mean"] >= b["mean"] - tolerance(g["std"], b["std"], floor=P3.V3["floor"])
        out["reaches_paper"] += paper_ok
        out["reaches_backprop"] += bp_ok
        m = g["mean"] - b["mean"]
        out["margins"].append(m)
        d = out["per_dataset"].setdefault(r["dataset"], {"rows": 0, "reaches_backprop": 0, "margins": []})
        d["rows"] += 1
        d["reaches_backprop"] += bp_ok
        d["margins"].append(m)
    if out["margins"]:
        mean, std, _ = R.aggregate(out["margins"])
        out.update(mean_margin=mean, std_margin=std, largest_margin=min(out["margins"]))
    return out


def verdict_sentence(v):
    """One sentence that answers the abstract's claim from :func:`plain_verdict`."""
    if not v["rows"]:
        return "No row has finished under protocol v3 yet."
    return (f"On {v['reaches_backprop']} of {v['rows']} finished rows GTP reaches backprop trained with the "
            f"same tuning budget, and on {v['reaches_paper']} it reaches the paper's number; on average it is "
            f"{-v['mean_margin']:.2f} points below backprop (at most {-v['largest_margin']:.2f}).")


def v3_exists(root=None):
    return os.path.isdir(os.path.join(root or RESULTS_ROOT, P3.VERSION))
