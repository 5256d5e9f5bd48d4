"""The equal-budget protocol v2 beside the paper and protocol v1: comparison data, the
verdict row by row with its criteria, and the Markdown tables of ``results/SUMMARY.md``.

:func:`comparison_data` puts v2 (``results/v2``, ``gtp.experiments.protocol_v2``) beside the
paper and v1's GTP with the printed settings, and :func:`verdict` judges each row with the
criteria ``CRITERIA``.  They return numbers (and Markdown tables, which are data laid out);
the chapters write the prose around them.
"""
import glob
import os

import numpy as np

from ..engine import records as R
from ..engine.records import tolerance
from ..engine.rules import RULES, get_rule
from ..maths import paper
from ..maths.decomposition import layer_gains
from .tables_v1 import STATUS_DONE, _studied, table_data

__all__ = ["protocol_summary", "protocol_markdown", "CRITERIA", "COMPARED", "comparison_data",
           "verdict", "tolerance", "comparison_cell", "comparison_markdown", "settings_markdown",
           "hebbian_markdown", "hebbian_growth", "growth_text", "reason_text", "verdict_markdown",
           "verdict_counts", "flag_counts", "rising_rows", "pending_rows", "pending_text"]

# --------------------------------------------------------------------------- protocol v2
def protocol_summary(root=None, rows=None):
    """The protocol's results as data, one dict per row: the paper's accuracy and, per rule,
    the finished final runs' seeds, test accuracies at the selected and at the last epoch
    (fractions), their mean and std, how many seeds still rise at the end, and the search's
    choice (``None`` while a search runs).  Reads ``results/v2/`` (``gtp.experiments.protocol_v2``)."""
    from ..experiments.protocol_v2 import Protocol
    plan = Protocol(rows, root=root or R.RESULTS_ROOT)
    out = []
    for row in plan.rows:
        d = {"dataset": row.dataset, "net": row.net, "paper": row.paper / 100, "rules": {}}
        for rule in plan.rules:
            path = plan.search_path(row, rule)
            ch = (R.read_result(path) or {}).get("choice")
            recs = [R.read_result(plan.final_path(row, rule, s)) for s in plan.seeds]
            recs = [r for r in recs if r is not None and r.get("selection")]
            best = [r["selection"]["test_acc_at_best"] for r in recs]
            last = [r["selection"]["test_acc_last"] for r in recs]
            d["rules"][rule] = {
                "choice": ch, "seeds": [r["config"]["seed"] for r in recs],
                "test_at_best": best, "test_last": last,
                "mean": R.aggregate(best)[0], "std": R.aggregate(best)[1],
                "mean_last": R.aggregate(last)[0], "std_last": R.aggregate(last)[1],
                "still_rising": sum(bool(r.get("still_rising")) for r in recs),
                "diverged": sum(r["status"] == "diverged" for r in recs)}
        out.append(d)
    return out


def protocol_markdown(root=None, rows=None):
    """Markdown table: paper | GTP | backprop (equal budget), test accuracy % at the epoch
    selected on validation, mean ± std (seeds); ``rising`` counts seeds whose validation
    accuracy still rises at the end."""
    lines = ["| data set | network | paper | GTP (equal budget) | backprop (equal budget) |",
             "|---|---|---|---|---|"]
    from ..experiments.protocol_v2 import RULES as compared
    for d in protocol_summary(root, rows):
        cells = []
        for rule in compared:
            m = d["rules"][rule]
            if not m["seeds"]:
                cells.append("search not finished" if m["choice"] is None else "final runs not finished")
                continue
            c = R.fmt_mean_std(m["test_at_best"]) + " s" + ",".join(map(str, m["seeds"]))
            if m["still_rising"]:
                c += f" [{m['still_rising']} rising]"
            cells.append(c)
        lines.append(f"| {d['dataset']} | {d['net']} | {100 * d['paper']:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- v2 against v1
#: the verdict's criteria.  ``floor``: GTP *reaches* a reference (the paper, or backprop) when
#: its mean test accuracy is at least the reference minus a tolerance, the combined standard
#: deviation over seeds (GTP's alone against the paper, which prints one number) but never
#: less than ``floor`` points.  ``gain_factor``: a layer's effective rate differs from
#: backprop's when their ratio exceeds this factor either way.  ``pull``: the Hebbian pull
#: matters when the Hebbian terms of some layer are at least this fraction of its backprop
#: term (``gtp.experiments.diagnostics_runs``, after the short training).  ``rising``: the budget limits a
#: rule when more than this fraction of its seeds still rise at the last epoch.
CRITERIA = {"floor": 0.1, "gain_factor": 3.0, "pull": 0.25, "rising": 0.5}
#: the columns of the comparison: two protocol-v2 rules, then GTP with the printed settings (v1)
COMPARED = ("gtp", "backprop", "v1")


def _v2_cell(plan, row, rule):
    """One rule's protocol-v2 cell of a row (percent), with its search's progress."""
    path = plan.search_path(row, rule)
    search = R.read_result(path)
    recs = [R.read_result(plan.final_path(row, rule, s)) for s in plan.seeds]
    recs = [r for r in recs if r is not None and r.get("status") in STATUS_DONE and r.get("selection")]
    best = [100 * r["selection"]["test_acc_at_best"] for r in recs]
    last = [100 * r["selection"]["test_acc_last"] for r in recs]
    mean, std, n = R.aggregate(best)
    mean_last, std_last, _ = R.aggregate(last)
    s = plan.search
    name = os.path.basename(path)[:-len(".json")]
    trials = glob.glob(os.path.join(plan.root, "search", "trials", name + "-r*.json"))
    cell = {"rule": rule, "seeds": sorted(r["config"]["seed"] for r in recs), "n": n,
            "n_expected": len(plan.seeds), "values": best, "values_last": last,
            "mean": mean, "std": std, "mean_last": mean_last, "std_last": std_last,
            "rising": sum(bool(r.get("still_rising")) for r in recs),
            "diverged": sum(r["status"] == "diverged" for r in recs),
            "best_epoch": [r["selection"]["best_epoch"] for r in recs],
            "trials_done": len(trials), "trials_total": s["rounds"] * (s["trials"] + s["keep"]),
            "choice": None, "rates": None, "etas": None}
    if search is not None:
        ch = search["choice"]
        changes = ch["changes"]
        L = len(row.sizes) - 1
        etas = [float(e) for e in np.broadcast_to(changes["eta"], (L,))]
        cell.update(choice=ch, etas=etas,
                    rates=layer_gains(L, changes["tau"], etas) if get_rule(rule).uses("tau") else etas)
    cell["state"] = ("done" if n == len(plan.seeds) else "final runs" if search is not None
                     else "search" if trials else "not started")
    return cell


def _v1_cell(rows_best, rows_last, i):
    """GTP with the printed settings (protocol v1) on row ``i`` of ``table_data``."""
    kind = _studied()
    cb, cl = rows_best[i]["cells"].get(kind), rows_last[i]["cells"].get(kind)
    if not cb or not cb["n"]:
        return {"n": 0, "seeds": [], "mean": None, "std": None, "mean_last": None,
                "std_last": None, "state": "not run", "epochs": None}
    return {"n": cb["n"], "seeds": cb["seeds"], "mean": cb["mean"], "std": cb["std"],
            "values": cb["values"], "mean_last": cl["mean"], "std_last": cl["std"],
            "values_last": cl["values"], "epochs": cb["epochs"], "state": "done",
            "best_is_last": cb["best_is_last"]}


def comparison_data(root=None, tables=(1, 2, 3)):
    """Every row of Tables 1-3 under both protocols, from the results folder ``root``
    (default ``R.RESULTS_ROOT``: ``v2/`` and ``v1/`` below it), accuracies in percent.

    One dict per row: ``table``, ``dataset``, ``net``, ``sizes``, ``paper``, ``tau`` and
    ``eta`` (printed), ``gtp`` and ``backprop`` (protocol v2: ``state`` "done", "final runs"
    (search finished, seeds running), "search" (trials running) or "not started"; ``mean``,
    ``std``, ``n``, ``seeds``, ``values`` at the epoch selected on validation, the same with
    ``_last`` at the last epoch, ``rising`` (seeds whose validation accuracy still rises at
    the end), the search's ``choice`` and the per-layer learning rates ``etas`` and
    effective ``rates`` (``decomposition.layer_gains`` for GTP: eta_l tau^(L-1-l))), ``v1``
    (GTP with the printed settings, protocol v1), ``hebbian`` (``gtp.experiments.diagnostics_runs`` at the
    chosen GTP setting, or ``None``) and ``verdict`` (:func:`verdict`).

    Used in: book/training/tables.md, results/SUMMARY.md.
    """
    from ..experiments import diagnostics_runs as diagnostics
    from ..experiments.protocol_v2 import Protocol
    root = root or R.RESULTS_ROOT
    plan = Protocol(paper.rows_of(tables), root=root)
    diag = (diagnostics.load(root) or {}).get("rows", {})
    v1 = R.v1_root(root)
    out = []
    for t in tables:
        best, last = table_data(t, v1), table_data(t, v1, which="test_acc_last")
        for i, row in enumerate(paper.rows_of([t])):
            d = {"table": t, "dataset": row.dataset, "net": row.net, "sizes": tuple(row.sizes),
                 "paper": row.paper, "tau": row.tau, "eta": row.eta,
                 "gtp": _v2_cell(plan, row, "gtp"), "backprop": _v2_cell(plan, row, "backprop"),
                 "v1": _v1_cell(best, last, i)}
            h = diag.get(f"{row.dataset} {row.net}")
            ch = d["gtp"]["choice"]
            d["hebbian"] = h if h and ch and h["params"] == ch["params"] else None
            d["verdict"] = verdict(d)
            out.append(d)
    return out


def verdict(row, criteria=None):
    """Where GTP (protocol v2) reaches the paper and backprop on one row of
    :func:`comparison_data`, and the measurements that flag it (correlations: see
    :func:`flag_counts`).

    Returns ``{"state", "to_paper", "to_backprop", "reasons"}``: ``state`` is "done" when
    GTP's final runs are finished (else the rule's state and nothing is judged);
    ``to_paper`` / ``to_backprop``: ``{"diff" (GTP - reference, points), "tol",
    "reaches"}`` (``CRITERIA["floor"]``; ``to_backprop`` is ``None`` until backprop's
    runs are finished); ``reasons``: a list of ``{"kind", ...}`` with the measurements that
    cross their criterion, "budget" (GTP's validation accuracy still rising at the last
    epoch on most seeds, or its choice at the edge of the extended range: ``rising``,
    ``n``, ``at_edge``), "gain" (layers whose effective rate eta_l tau^(L-1-l) differs
    from backprop's chosen rate by more than ``gain_factor``: ``layers`` of ``(l, ratio)``)
    and "hebbian" (the largest Hebbian pull, ``pull`` at ``layer``, if at least ``pull``).
    """
    c = dict(CRITERIA, **(criteria or {}))
    g, b = row["gtp"], row["backprop"]
    if g["state"] != "done":
        return {"state": g["state"], "to_paper": None, "to_backprop": None, "reasons": []}
    diff = g["mean"] - row["paper"]
    tol = tolerance(g["std"], floor=c["floor"])
    out = {"state": "done", "to_paper": {"diff": diff, "tol": tol, "reaches": diff >= -tol},
           "to_backprop": None, "reasons": []}
    if b["state"] == "done":
        diff = g["mean"] - b["mean"]
        tol = tolerance(g["std"], b["std"], floor=c["floor"])
        out["to_backprop"] = {"diff": diff, "tol": tol, "reaches": diff >= -tol}
    edge = list(g["choice"]["at_edge"]) if g["choice"] else []
    if g["rising"] > c["rising"] * g["n"] or edge:
        out["reasons"].append({"kind": "budget", "rising": g["rising"], "n": g["n"],
                               "at_edge": edge})
    if g["rates"] and b["rates"]:
        ratios = [gr / br for gr, br in zip(g["rates"], b["rates"])]
        off = [(l, r) for l, r in enumerate(ratios)
               if r > c["gain_factor"] or r < 1 / c["gain_factor"]]
        out["ratios"] = ratios
        if off:
            out["reasons"].append({"kind": "gain", "layers": off})
    h = row.get("hebbian")
    if h:
        pulls = h["trained"]["hebbian_pull"]
        layer = int(np.argmax(pulls))
        out["pull"] = {"layer": layer, "pull": pulls[layer], "init": h["init"]["hebbian_pull"][layer]}
        if pulls[layer] >= c["pull"]:
            out["reasons"].append({"kind": "hebbian", "layer": layer, "pull": pulls[layer],
                                   "init": h["init"]["hebbian_pull"][layer]})
    return out


def _pending_text(cell):
    if cell["state"] == "search":
        return f"search running ({cell['trials_done']} of {cell['trials_total']} trial runs)"
    if cell["state"] == "final runs":
        return f"final runs running ({cell['n']} of {cell['n_expected']} seeds finished)"
    if cell["state"] == "not run":
        return "not run"
    return "not started"


def comparison_cell(cell, last=False):
    """'97.17 ± 0.13 (3) s0,1,2 ↑1/3' (↑: seeds whose validation accuracy still rises at
    the last epoch), or the state of an unfinished cell ('search running (12 of 32 trial
    runs)', 'final runs running (1 of 3 seeds finished)')."""
    if not cell["n"]:
        return _pending_text(cell)
    m, s = (cell["mean_last"], cell["std_last"]) if last else (cell["mean"], cell["std"])
    text = f"{m:.2f} ± {s:.2f} ({cell['n']}) s" + ",".join(map(str, cell["seeds"]))
    if cell.get("rising"):
        text += f" ↑{cell['rising']}/{cell['n']}"
    if cell.get("diverged"):
        text += f" [{cell['diverged']} diverged]"
    if cell.get("n_expected") and cell["n"] < cell["n_expected"]:
        text += f" [{cell['n_expected'] - cell['n']} seed(s) running]"
    return text


def comparison_markdown(rows, last=False):
    """Markdown table: data set | network | paper | GTP (equal budget, v2) | backprop
    (equal budget, v2) | GTP (printed settings, v1); test accuracy % at the epoch selected
    on validation (``last=True``: at the last epoch), mean ± std (seeds) and the seeds.

    Used in: book/training/tables.md, results/SUMMARY.md."""
    v1_epochs = sorted({r["v1"]["epochs"] for r in rows if r["v1"]["epochs"]})
    from ..experiments.protocol_v2 import FINAL
    head = ["data set", "network", "paper", f"GTP (equal budget, v2, {FINAL['epochs']} epochs)",
            f"backprop (equal budget, v2, {FINAL['epochs']} epochs)",
            "GTP (printed settings, v1, " + "/".join(map(str, v1_epochs)) + " epochs)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append(f"| {paper.TABLE_NAMES[r['table']]} | {r['net']} | {r['paper']:.2f} | " +
                     " | ".join(comparison_cell(r[k], last) for k in COMPARED) + " |")
    return "\n".join(lines)


def _rates_text(rates):
    return " / ".join(f"{x:.2g}" for x in rates)


def settings_markdown(rows):
    """Markdown table of the settings the equal-budget searches chose: per row and rule
    tau, eta, the gain compensation g (GTP) or the per-layer factor k (backprop), the
    activations, the dimensions still at an edge of the (extended) range, the effective
    per-layer rates (GTP: eta_l tau^(L-1-l); backprop: eta_l) and the search's validation
    accuracy at its last rung.

    Used in: book/training/tables.md, results/SUMMARY.md."""
    lines = ["| data set | network | rule | τ | η | g / k | activations | at edge | "
             "effective rate of W_0 … W_L-1 | validation % (search) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        for rule in ("gtp", "backprop"):
            cell = r[rule]
            ch = cell["choice"]
            if ch is None:
                lines.append(f"| {paper.TABLE_NAMES[r['table']]} | {r['net']} | {RULES[rule].label} | "
                             f"{_pending_text(cell)} |  |  |  |  |  |  |")
                continue
            p = ch["params"]
            gk = f"g = {p['gain']:.2f}" if "gain" in p else f"k = {p['k']:.2f}" if "k" in p else "-"
            tau = f"{p['tau']:.3g}" if "tau" in p else "-"
            lines.append(f"| {paper.TABLE_NAMES[r['table']]} | {r['net']} | {RULES[rule].label} | {tau} | "
                         f"{p['eta']:.3g} | {gk} | {p['acts']} | {', '.join(ch['at_edge']) or 'none'} | "
                         f"{_rates_text(cell['rates'])} | {100 * ch['val_acc']:.2f} |")
    return "\n".join(lines)


def hebbian_markdown(rows):
    """Markdown table of ``gtp.experiments.diagnostics_runs`` for the rows measured: the chosen tau and
    activations, and per weight layer the Hebbian pull (Hebbian terms / backprop term) at
    initialisation and after the short training, and the cosine of GTP's update with
    backprop's after it.

    Used in: book/training/tables.md, results/SUMMARY.md."""
    lines = ["| data set | network | τ | activations | Hebbian pull of W_0 … W_L-1: at "
             "initialisation | after training | cosine with backprop after training |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        h = r["hebbian"]
        if h is None:
            continue
        lines.append(f"| {paper.TABLE_NAMES[r['table']]} | {r['net']} | {h['tau']:.3g} | {h['acts']} | "
                     f"{_rates_text(h['init']['hebbian_pull'])} | "
                     f"{_rates_text(h['trained']['hebbian_pull'])} | "
                     f"{_rates_text(h['trained']['cosine'])} |")
    return "\n".join(lines)


def hebbian_growth(rows):
    """How the largest Hebbian pull of a layer moves between initialisation and the short
    training of ``gtp.experiments.diagnostics_runs``, per measured row: ``{"grew": [...], "fell": [...]}``,
    each entry ``{"row": "<data set> <network>", "tau", "init", "trained"}`` (the largest
    pull over the layers).

    Used in: book/training/tables.md."""
    out = {"grew": [], "fell": []}
    for r in rows:
        h = r["hebbian"]
        if h is None:
            continue
        a, b = max(h["init"]["hebbian_pull"]), max(h["trained"]["hebbian_pull"])
        out["grew" if b > a else "fell"].append(
            {"row": f"{paper.TABLE_NAMES[r['table']]} {r['net']}", "tau": h["tau"], "init": a, "trained": b})
    return out


def growth_text(entries):
    """``"MNIST 784-100-10 (τ = 231: 0.04 → 0.33), ..."`` for entries of :func:`hebbian_growth`
    ("none" when empty)."""
    return ", ".join(f"{e['row']} (τ = {e['tau']:.3g}: {e['init']:.2f} → {e['trained']:.2f})"
                     for e in entries) or "none"


def _signed(x):
    return f"{'+' if x >= 0 else '−'}{abs(x):.2f}"


def reason_text(reason):
    """One flag of :func:`verdict` in words."""
    if reason["kind"] == "budget":
        bits = []
        if reason["rising"]:
            bits.append(f"validation accuracy still rising at the last epoch on {reason['rising']} "
                        f"of {reason['n']} seeds")
        if reason["at_edge"]:
            bits.append("chosen setting at the edge of the extended range in " + ", ".join(reason["at_edge"]))
        return "budget: GTP's " + "; ".join(bits)
    if reason["kind"] == "gain":
        return "layer gains: effective rate " + ", ".join(
            f"of W_{l} {r:.2g}× backprop's" for l, r in reason["layers"])
    return (f"Hebbian pull: the Hebbian terms of W_{reason['layer']} are {reason['pull']:.2f}× its "
            f"backprop term after the short training ({reason['init']:.2f}× at initialisation)")


def verdict_markdown(rows, criteria=None):
    """The verdict row by row as a Markdown list (:func:`verdict`; ``CRITERIA``).

    Used in: book/training/tables.md, results/SUMMARY.md."""
    lines = []
    for r in rows:
        v = verdict(r, criteria)
        name = f"**{paper.TABLE_NAMES[r['table']]} {r['net']}** (paper {r['paper']:.2f})"
        if v["state"] != "done":
            lines.append(f"- {name}: not judged yet; GTP {_pending_text(r['gtp'])}, backprop "
                         f"{comparison_cell(r['backprop'])}.")
            continue
        g = r["gtp"]
        tp = v["to_paper"]
        text = (f"- {name}: GTP {g['mean']:.2f} ± {g['std']:.2f} "
                f"{'reaches' if tp['reaches'] else 'does not reach'} the paper "
                f"({_signed(tp['diff'])} points, tolerance {tp['tol']:.2f})")
        tb = v["to_backprop"]
        if tb is None:
            text += f"; backprop {comparison_cell(r['backprop'])}"
        else:
            b = r["backprop"]
            text += (f" and {'reaches' if tb['reaches'] else 'does not reach'} backprop "
                     f"({b['mean']:.2f} ± {b['std']:.2f}: {_signed(tb['diff'])} points, tolerance "
                     f"{tb['tol']:.2f})")
        failed = not tp["reaches"] or (tb is not None and not tb["reaches"])
        if v["reasons"]:
            text += (". Flags" + ("" if failed else ", although GTP reaches both") + " (correlations, not causes): " +
                     "; ".join(reason_text(x) for x in v["reasons"]))
        elif failed:
            text += ". No flag is raised (budget, layer gains, Hebbian pull)"
        if "pull" not in v and failed:
            text += " (Hebbian pull not measured yet: `python -m gtp run diagnostics`)"
        lines.append(text + ".")
    return "\n".join(lines)


def verdict_counts(rows, criteria=None):
    """``{"judged", "paper", "backprop", "both_judged", "budget", "gain", "hebbian",
    "rising" (rows where GTP still rises on most seeds)}``: how many rows with finished GTP
    runs reach the paper, how many with both rules finished reach backprop, and how many
    carry each flag.

    Used in: book/training/tables.md."""
    c = dict(CRITERIA, **(criteria or {}))
    vs = [(r, verdict(r, criteria)) for r in rows]
    vs = [(r, v) for r, v in vs if v["state"] == "done"]
    both = [v for _, v in vs if v["to_backprop"] is not None]
    return {"judged": len(vs), "paper": sum(v["to_paper"]["reaches"] for _, v in vs),
            "both_judged": len(both), "backprop": sum(v["to_backprop"]["reaches"] for v in both),
            **{k: sum(any(x["kind"] == k for x in v["reasons"]) for _, v in vs)
               for k in ("budget", "gain", "hebbian")},
            "rising": sum(r["gtp"]["rising"] > c["rising"] * r["gtp"]["n"] for r, _ in vs)}


def flag_counts(rows, criteria=None):
    """How well the flags of :func:`verdict` tell failing rows from the others, over the rows
    where both rules have finished: ``{"rows", "flagged", "reaching", "flagged_reaching",
    "failing", "flagged_failing"}`` (reaching: GTP reaches backprop).
    A flag raised as often where GTP reaches both as where it does not is a correlation,
    not a cause.

    Used in: book/training/tables.md."""
    vs = [verdict(r, criteria) for r in rows]
    vs = [v for v in vs if v["state"] == "done" and v["to_backprop"] is not None]
    ok = [v["to_backprop"]["reaches"] for v in vs]
    flagged = [bool(v["reasons"]) for v in vs]
    return {"rows": len(vs), "flagged": sum(flagged), "reaching": sum(ok),
            "flagged_reaching": sum(f and o for f, o in zip(flagged, ok)),
            "failing": len(vs) - sum(ok), "flagged_failing": sum(f and not o for f, o in zip(flagged, ok))}


def pending_rows(rows):
    """``"<data set> <network>"`` of the rows of protocol v2 not yet judged (``rows`` as in
    :func:`comparison_data`, each with its ``verdict``).

    Used in: book/training/tables.md."""
    return [f"{paper.TABLE_NAMES[r['table']]} {r['net']}" for r in rows if r["verdict"]["state"] != "done"]


def pending_text(rows):
    """The phrase the prose uses for :func:`pending_rows`: which rows are still running, or
    that every row has finished.

    Used in: book/training/tables.md, book/closing.md."""
    pending = pending_rows(rows)
    if not pending:
        return f"all {len(rows)} rows had finished when this page was built"
    return (f"{len(pending)} of the {len(rows)} rows had not finished when this page was built "
            f"(their searches or final runs were running or not started yet: {', '.join(pending)})")


def rising_rows(rows, rule="gtp", criteria=None):
    """``"<data set> <network>"`` of the rows whose ``rule`` (protocol v2) still rises at
    the last epoch on most of its finished seeds (``CRITERIA["rising"]``).

    Used in: book/training/tables.md."""
    c = dict(CRITERIA, **(criteria or {}))
    return [f"{paper.TABLE_NAMES[r['table']]} {r['net']}" for r in rows
            if r[rule]["n"] and r[rule]["rising"] > c["rising"] * r[rule]["n"]]
