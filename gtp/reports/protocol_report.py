"""Reports: result files -> tables, gaps to the paper and verdict data.

The one place where runs are summarised: the command line (``python -m gtp summary``), the
figures (``gtp.figures.training``), ``results/SUMMARY.md`` and the chapters read these
functions.  They return numbers (and Markdown tables and the verdict's sentences, which are
data laid out); the chapters write the prose around them.

Two protocols (``gtp.paper``): **v2**, the equal-budget comparison (``results/v2``,
``gtp.protocol``), is the headline: :func:`comparison_data` puts it beside the paper and
v1's GTP with the printed settings, and :func:`verdict` judges each row with the criteria
``CRITERIA`` and the measured reasons (budget, per-layer gains, the Hebbian pull of
``gtp.diagnostics``).  **v1** (``results/v1``, ``paper.V1_ROOT``, ``gtp.reproduce``) is read
by :func:`table_data` and the functions built on it, whose ``root`` is the v1 folder.

A *kind* of run is a ``(rule, variant)`` pair: the rule comes from the registry
``gtp.learning_rules``, the variant from the runner (``gtp.reproduce.VARIANTS``: "printed",
"sigmoid", "tuned"; the baseline rule has only "printed").  A *cell* summarises the runs
of one kind on one row: mean ± std over the finished seeds (percent), the seeds, and
counts of diverged and unfinished runs.  Accuracies are test accuracies at the epoch
selected on validation (``which="test_acc_at_best"``) or at the last epoch.
"""
import glob
import os

import numpy as np

from . import paper
from . import results as R
from .decomposition import layer_gains
from .learning_rules import RULES, baseline, get_rule, studied

__all__ = ["STATUS_DONE", "VARIANT_TEXT", "VARIANT_COLOURS", "kind_label", "kind_colour",
           "table_data", "summarise", "columns", "cell_text", "table_markdown", "gaps",
           "verdict_data", "versus_baseline", "still_improving", "gains_table", "e20_data",
           "summary_data", "summary_table", "summary_markdown", "search_table",
           "protocol_summary", "protocol_markdown", "CRITERIA", "COMPARED", "comparison_data",
           "verdict", "tolerance", "comparison_cell", "comparison_markdown", "settings_markdown",
           "hebbian_markdown", "reason_text", "verdict_markdown", "verdict_counts", "rising_rows",
           "pending_rows", "pending_text"]

#: statuses of a run whose selected epoch counts in a table
STATUS_DONE = ("finished", "diverged")
#: how the book names a variant of a rule (the baseline's only variant needs no words)
VARIANT_TEXT = {"printed": "paper's settings", "sigmoid": "sigmoid everywhere",
                "tuned": "tuned on validation"}
#: colours of the variants other than "printed" (which takes its rule's colour)
VARIANT_COLOURS = {"sigmoid": "#E69F00", "tuned": "#009E73"}
_OTHER_COLOUR = "#CC79A7"


def kind_label(kind):
    """"GTP, paper's settings", "backprop (same network)", "GTP, long"... for a kind.

    Used in: book/training/tables.md."""
    name, variant = kind
    rule = RULES.get(name)
    label = rule.label if rule else name
    if rule is not None and rule.baseline and variant == "printed":
        return f"{label} (same network)"
    return f"{label}, {VARIANT_TEXT.get(variant, variant)}"


def kind_colour(kind):
    """The colour of a kind: its rule's for "printed", its variant's otherwise."""
    name, variant = kind
    if variant == "printed" and name in RULES:
        return RULES[name].colour
    return VARIANT_COLOURS.get(variant, _OTHER_COLOUR)


def _row_key(rec):
    """(dataset, sizes) of a result record's paper row."""
    pr = rec.get("paper_row")
    if pr:
        return pr["dataset"], tuple(pr["sizes"])
    return rec["config"]["dataset"], tuple(rec["config"]["sizes"])


def _kind(rec):
    rule = rec["config"]["rule"]
    return rule, "printed" if get_rule(rule).baseline else (rec.get("variant") or "printed")


def summarise(recs, which="test_acc_at_best"):
    """One cell: mean ± std (percent) over the completed runs ``recs`` of one kind and row,
    with ``n``, ``seeds``, ``values``, ``n_diverged``, ``n_running``, ``progress`` (text per
    unfinished run), ``epochs``, the settings used (``eta``, ``tau``, ``acts``) and
    ``best_is_last`` (runs whose selected epoch is their last)."""
    done = [r for r in recs if r.get("status") in STATUS_DONE and r.get("selection")]
    values = [r["selection"][which] for r in done]
    mean, std, n = R.aggregate(values)
    running = [r for r in recs if r.get("status") not in STATUS_DONE]
    progress = []
    for r in running:
        full = [e["epoch"] for e in r.get("epochs", []) if e["epoch"] >= 1 and not e.get("partial")]
        progress.append(f"{r.get('status') or 'running'}: epoch {max(full, default=0)}/"
                        f"{r['config']['epochs']}")
    return {"mean": None if mean is None else 100 * mean,
            "std": None if std is None else 100 * std, "n": n,
            "seeds": sorted(r["config"]["seed"] for r in done),
            "values": [100 * v for v in values if v is not None],
            "n_diverged": sum(r.get("status") == "diverged" for r in recs),
            "n_running": len(running), "progress": progress,
            "epochs": max((r["config"]["epochs"] for r in done), default=None),
            "eta": sorted({r["config"]["eta"] for r in recs if np.isscalar(r["config"]["eta"])}),
            "tau": sorted({r["config"].get("tau") for r in recs
                           if np.isscalar(r["config"].get("tau"))}),
            "acts": sorted({str(r["config"]["acts"]) for r in recs}),
            "best_is_last": sum(r["selection"]["best_epoch"] == r["selection"]["last_epoch"]
                                for r in done)}


def table_data(table, root=None, which="test_acc_at_best", folder=None, rows=None):
    """The rows of the paper's Table ``table`` (1 MNIST, 2 Fashion-MNIST, 3 CIFAR-10)
    beside ours, from ``<root>/table<table>/*.json`` (or ``<root>/<folder>``); ``root``
    defaults to protocol v1's folder (``paper.V1_ROOT``).

    Returns one dict per row of ``gtp.paper.ROWS``: ``table``, ``net``, ``sizes``,
    ``dataset``, ``tau``, ``eta``, ``paper`` (percent), ``gains`` (per-layer gains of the
    printed settings, ``decomposition.layer_gains``), ``cells`` (kind -> ``summarise``) and
    ``records`` (kind -> the runs, for learning curves).

    Used in: book/training/tables.md (through the figures too).
    """
    recs = R.load_results(root or paper.V1_ROOT, folder or f"table{table}")
    out = []
    for row in rows if rows is not None else paper.rows_of([table]):
        mine = [r for r in recs if _row_key(r) == (row.dataset, tuple(row.sizes))]
        groups = {}
        for r in mine:
            groups.setdefault(_kind(r), []).append(r)
        out.append({"table": row.table, "dataset": row.dataset, "net": row.net,
                    "sizes": tuple(row.sizes), "tau": row.tau, "eta": row.eta,
                    "paper": row.paper, "gains": row.gains,
                    "cells": {k: summarise(v, which) for k, v in groups.items()},
                    "records": groups})
    return out


def columns(rows):
    """The kinds shown, in order: every non-baseline rule's "printed" kind, the other
    variants that have runs (known ones first), then the baseline."""
    found = {k for r in rows for k in r["cells"]}
    base = baseline().name
    cols = [(name, "printed") for name in RULES if name != base]
    known = [(name, v) for name in RULES if name != base for v in VARIANT_TEXT if v != "printed"]
    cols += [k for k in known if k in found]
    cols += sorted(k for k in found if k not in cols and k[0] != base)
    return cols + [(base, "printed")]


def cell_text(cell):
    """The text of one table cell: '97.12 ± 0.08 (3 seeds)', '97.10 (1 seed)',
    'not run yet', with notes on diverged and unfinished runs."""
    if cell is None:
        return "not run yet"
    parts = []
    if cell["n"] == 1:
        parts.append(f"{cell['mean']:.2f} (1 seed)")
    elif cell["n"]:
        parts.append(f"{cell['mean']:.2f} ± {cell['std']:.2f} ({cell['n']} seeds)")
    notes = []
    if cell["n_diverged"]:
        notes.append(f"{cell['n_diverged']} diverged")
    if cell["n_running"]:
        notes.append(", ".join(cell["progress"]))
    if not parts:
        return "pending (" + "; ".join(notes) + ")" if notes else "not run yet"
    return parts[0] + (" [" + "; ".join(notes) + "]" if notes else "")


def table_markdown(rows, gains=False):
    """A Markdown table of ``table_data`` rows: network, tau, eta, paper, one column per
    kind (``columns``); ``gains=True`` adds the per-layer gains of the printed settings.

    Used in: book/training/tables.md.
    """
    cols = columns(rows)
    head = ["network", "τ", "η"] + (["gain of W_0 … W_L-1"] if gains else []) + ["paper"] + \
        [kind_label(c) for c in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    base = baseline().name
    for r in rows:
        cells = [r["net"], f"{r['tau']:g}", f"{r['eta']:g}"]
        if gains:
            cells.append(" / ".join(f"{g:.2g}" for g in r["gains"]))
        cells.append(f"{r['paper']:.2f}")
        for c in cols:
            cell = r["cells"].get(c)
            text = cell_text(cell)
            if c[0] == base and cell and cell["eta"]:
                text += " η=" + "/".join(f"{e:g}" for e in cell["eta"])
            elif c[1] == "tuned" and cell and cell["eta"]:
                text += (" [" + "/".join(cell["acts"]) + ", τ=" +
                         "/".join(f"{t:g}" for t in cell["tau"]) + ", η=" +
                         "/".join(f"{e:g}" for e in cell["eta"]) + "]")
            cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def gaps(rows):
    """Per row: ``{"net", "paper", "gaps": {kind: mean - paper (points)}, "means": {kind:
    mean}, "running": n}`` for the kinds with finished runs.

    Used in: book/training/tables.md.
    """
    out = []
    for r in rows:
        done = {c: r["cells"][c] for c in columns(rows) if r["cells"].get(c) and r["cells"][c]["n"]}
        out.append({"net": r["net"], "dataset": r["dataset"], "paper": r["paper"],
                    "means": {c: cell["mean"] for c, cell in done.items()},
                    "gaps": {c: cell["mean"] - r["paper"] for c, cell in done.items()},
                    "running": sum(c["n_running"] for c in r["cells"].values())})
    return out


def verdict_data(rows, close=1.0, far=5.0):
    """Per kind: ``{"n_rows", "n_finished", "n_close" (|gap| <= close), "n_above" (gap >
    close), "n_far_below" (gap < -far), "mean_gap"}`` over the rows with finished runs.

    Used in: book/training/tables.md.
    """
    out = {}
    for c in columns(rows):
        g = [d["gaps"][c] for d in gaps(rows) if c in d["gaps"]]
        out[c] = {"n_rows": len(rows), "n_finished": len(g),
                  "n_close": sum(abs(x) <= close for x in g),
                  "n_above": sum(x > close for x in g),
                  "n_far_below": sum(x < -far for x in g),
                  "mean_gap": float(np.mean(g)) if g else None}
    return out


def versus_baseline(rows):
    """Row by row, the better of the non-baseline kinds (by mean test accuracy) against the
    baseline: one dict per row where both have finished runs, with ``net``, ``dataset``,
    ``paper``, ``best_kind``, ``best`` and ``baseline`` (means, percent), ``margin``
    (baseline - best, points) and ``beats`` (the baseline is higher).

    Used in: book/training/tables.md (the paper's claim "as good as backprop").
    """
    base = (baseline().name, "printed")
    out = []
    for r in rows:
        done = {c: cell for c, cell in r["cells"].items() if cell["n"]}
        rivals = {c: cell["mean"] for c, cell in done.items() if c != base}
        if base not in done or not rivals:
            continue
        best = max(rivals, key=rivals.get)
        out.append({"net": r["net"], "dataset": r["dataset"], "paper": r["paper"],
                    "best_kind": best, "best": rivals[best], "baseline": done[base]["mean"],
                    "margin": done[base]["mean"] - rivals[best],
                    "beats": done[base]["mean"] > rivals[best]})
    return out


def _studied():
    """The kind shown first: the registry's studied rule with the printed settings."""
    return (studied().name, "printed")


def still_improving(rows, kind=None):
    """``(nets, n_rows)``: the networks whose finished ``kind`` runs (default: the first
    non-baseline rule with the paper's settings) mostly had their best validation epoch at
    the last epoch (still improving when the budget ended), and the number of rows with
    finished runs.

    Used in: book/training/tables.md.
    """
    nets, n, kind = [], 0, kind or _studied()
    for r in rows:
        cell = r["cells"].get(kind)
        if cell and cell["n"]:
            n += 1
            if 2 * cell["best_is_last"] > cell["n"]:
                nets.append(r["net"])
    return nets, n


def gains_table(rows, kind=None):
    """Per row: the printed eta * tau, the per-layer gains ``eta tau^(L-1-l)`` (largest and
    all), and the mean gap of ``kind`` (default as ``still_improving``) to the paper
    (``None`` if not finished).

    Used in: book/training/tables.md.
    """
    out, kind = [], kind or _studied()
    for r in rows:
        cell = r["cells"].get(kind)
        out.append({"dataset": r["dataset"], "net": r["net"], "eta_tau": r["eta"] * r["tau"],
                    "gains": list(r["gains"]), "max_gain": max(r["gains"]),
                    "gap": cell["mean"] - r["paper"] if cell and cell["n"] else None})
    return out


def e20_data(root=None, folder="e20", which="test_acc_at_best"):
    """The 20-epoch budget check of protocol v1 (``results/v1/e20``): for each row run
    there, the kinds' cells at 20 epochs and, from the tables, at the usual budget with the
    same seeds.

    Returns one dict per row with runs: ``dataset``, ``net``, ``paper``, ``cells`` (kind ->
    ``summarise`` of the 20-epoch runs) and ``short`` (kind -> ``summarise`` of the table
    runs with the same seeds), and ``best_epoch`` (kind -> selected epochs of the long runs).

    Used in: book/training/tables.md.
    """
    root = root or paper.V1_ROOT
    long = R.load_results(root, folder)
    out = []
    for t in (1, 2, 3):
        for row in paper.rows_of([t]):
            mine = [r for r in long if _row_key(r) == (row.dataset, tuple(row.sizes))]
            if not mine:
                continue
            short = [r for r in R.load_results(root, f"table{t}")
                     if _row_key(r) == (row.dataset, tuple(row.sizes))]
            groups, base = {}, {}
            for r in mine:
                groups.setdefault(_kind(r), []).append(r)
            for k, recs in groups.items():
                seeds = {r["config"]["seed"] for r in recs}
                base[k] = summarise([r for r in short if _kind(r) == k and r["config"]["seed"] in seeds],
                                    which)
            out.append({"dataset": row.dataset, "net": row.net, "paper": row.paper,
                        "cells": {k: summarise(v, which) for k, v in groups.items()},
                        "short": base,
                        "best_epoch": {k: [r["selection"]["best_epoch"] for r in v
                                           if r.get("selection")] for k, v in groups.items()}})
    return out


# --------------------------------------------------------------------------- summaries
def summary_data(root=None, tables=(1, 2, 3)):
    """Protocol v1 (``root``: its folder, default ``paper.V1_ROOT``) as data: one dict per row with the paper's values and, per method
    ("gtp-printed", "gtp-sigmoid", "gtp-tuned", "backprop"), the finished seeds' test
    accuracies at the selected epoch and at the last epoch, their mean and std (fractions,
    not percent), the seeds, the number of diverged and still-running runs, and the
    settings used (tau, eta, acts, epochs)."""
    out = []
    for t in tables:
        best_rows = table_data(t, root)
        last_rows = table_data(t, root, which="test_acc_last")
        for rb, rl in zip(best_rows, last_rows):
            d = {"table": t, "dataset": rb["dataset"], "net": rb["net"], "sizes": rb["sizes"],
                 "tau": rb["tau"], "eta": rb["eta"], "paper": rb["paper"] / 100, "methods": {}}
            for kind, recs in rb["records"].items():
                name = kind[0] if get_rule(kind[0]).baseline else f"{kind[0]}-{kind[1]}"
                cb, cl = rb["cells"][kind], rl["cells"][kind]
                c = recs[0]["config"]
                d["methods"][name] = {
                    "seeds": cb["seeds"], "test_at_best": [v / 100 for v in cb["values"]],
                    "test_last": [v / 100 for v in cl["values"]],
                    "mean": None if cb["mean"] is None else cb["mean"] / 100,
                    "std": None if cb["std"] is None else cb["std"] / 100,
                    "mean_last": None if cl["mean"] is None else cl["mean"] / 100,
                    "std_last": None if cl["std"] is None else cl["std"] / 100,
                    "diverged": cb["n_diverged"], "running": cb["n_running"],
                    "tau": c["tau"], "eta": c["eta"], "acts": c["acts"], "epochs": c["epochs"]}
            out.append(d)
    return out


def _summary_cell(cell):
    """'97.12 ± 0.08 (3) s0,1,2 [1 diverged; 1 running]' (the command line's cell)."""
    if cell is None:
        return "-"
    s = "-" if cell["mean"] is None else \
        f"{cell['mean']:.2f} ± {cell['std']:.2f} ({cell['n']})"
    if cell["seeds"]:
        s += " s" + ",".join(map(str, cell["seeds"]))
    notes = ([f"{cell['n_diverged']} diverged"] if cell["n_diverged"] else []) + \
        ([f"{cell['n_running']} running"] if cell["n_running"] else [])
    return s + (f" [{'; '.join(notes)}]" if notes else "")


def summary_table(root=None, tables=(1, 2, 3), variants=("printed", "sigmoid", "tuned"),
                  last=False):
    """Markdown tables of protocol v1 (``root``: its folder): paper | GTP (ours, per variant
    with runs) | backprop (ours); test accuracy in percent at the epoch selected on validation
    (``last=True``: at the last epoch), mean ± std (number of seeds) and the seeds."""
    which = "test_acc_last" if last else "test_acc_at_best"
    data = {t: table_data(t, root, which) for t in tables}
    base = baseline().name
    rivals = [name for name in RULES if name != base]
    found = {k for rows in data.values() for r in rows for k in r["cells"]}
    shown = [v for v in variants if any((n, v) in found for n in rivals)] or ["printed"]
    lines = []
    for t in tables:
        lines.append(f"\nTable {t}: {paper.TABLE_NAMES[t]} (test accuracy %, "
                     f"{'last epoch' if last else 'epoch selected on validation'})\n")
        head = ["network", "tau", "eta", "paper"] + \
            [f"{RULES[n].label} {v} (ours)" for n in rivals for v in shown] + \
            [f"{RULES[base].label} (ours)"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for r in data[t]:
            cells = [r["net"], f"{r['tau']:g}", f"{r['eta']:g}", f"{r['paper']:.2f}"]
            cells += [_summary_cell(r["cells"].get((n, v))) for n in rivals for v in shown]
            cells.append(_summary_cell(r["cells"].get((base, "printed"))))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def search_table(root=None, kind="bp-lr", tables=(1, 2, 3)):
    """Markdown table of a validation search of protocol v1 (``root``: the v1 folder):
    validation accuracy per grid point and row."""
    from . import reproduce as rp  # the runner defines the searches
    root = root or paper.V1_ROOT
    lines = []
    for row in paper.rows_of(tables):
        vals = []
        grid = rp.search_grid(kind, row)
        for label, rec in rp.search_records(kind, row, root):
            s = rp.search_score(rec)
            vals.append("-" if s is None else ("diverged" if rec["status"] == "diverged"
                                               else f"{100 * s:.2f}"))
        ch = rp.chosen(kind, row, root)
        lines.append(f"| {row.dataset} {row.net} | " + " | ".join(
            f"{lab}: {v}" for (lab, _), v in zip(grid, vals)) +
            f" | {ch['search_label'] if ch else '-'} |")
    return "\n".join(lines)




# --------------------------------------------------------------------------- protocol v2
def protocol_summary(root=None, rows=None):
    """The protocol's results as data, one dict per row: the paper's accuracy and, per rule,
    the finished final runs' seeds, test accuracies at the selected and at the last epoch
    (fractions), their mean and std, how many seeds still rise at the end, and the search's
    choice (``None`` while a search runs).  Reads ``results/v2/`` (``gtp.protocol``)."""
    from .protocol import Protocol
    plan = Protocol(rows, root=root or paper.RESULTS_ROOT)
    out = []
    for row in plan.rows:
        d = {"dataset": row.dataset, "net": row.net, "paper": row.paper / 100, "rules": {}}
        for rule in plan.rules:
            path = plan.search_path(row, rule)
            ch = R.load_record(path)["choice"] if os.path.exists(path) else None
            recs = [R.load_record(plan.final_path(row, rule, s)) for s in plan.seeds
                    if os.path.exists(plan.final_path(row, rule, s))]
            recs = [r for r in recs if r.get("selection")]
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
    from .protocol import RULES as compared
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
#: term (``gtp.diagnostics``, after the short training).  ``rising``: the budget limits a
#: rule when more than this fraction of its seeds still rise at the last epoch.
CRITERIA = {"floor": 0.1, "gain_factor": 3.0, "pull": 0.25, "rising": 0.5}
#: the columns of the comparison: two protocol-v2 rules, then GTP with the printed settings (v1)
COMPARED = ("gtp", "backprop", "v1")


def _v2_cell(plan, row, rule):
    """One rule's protocol-v2 cell of a row (percent), with its search's progress."""
    path = plan.search_path(row, rule)
    search = R.load_record(path) if os.path.exists(path) else None
    recs = [R.load_record(plan.final_path(row, rule, s)) for s in plan.seeds
            if os.path.exists(plan.final_path(row, rule, s))]
    recs = [r for r in recs if r.get("status") in STATUS_DONE and r.get("selection")]
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
    (default ``paper.RESULTS_ROOT``: ``v2/`` and ``v1/`` below it), accuracies in percent.

    One dict per row: ``table``, ``dataset``, ``net``, ``sizes``, ``paper``, ``tau`` and
    ``eta`` (printed), ``gtp`` and ``backprop`` (protocol v2: ``state`` "done", "final runs"
    (search finished, seeds running), "search" (trials running) or "not started"; ``mean``,
    ``std``, ``n``, ``seeds``, ``values`` at the epoch selected on validation, the same with
    ``_last`` at the last epoch, ``rising`` (seeds whose validation accuracy still rises at
    the end), the search's ``choice`` and the per-layer learning rates ``etas`` and
    effective ``rates`` (``decomposition.layer_gains`` for GTP: eta_l tau^(L-1-l))), ``v1``
    (GTP with the printed settings, protocol v1), ``hebbian`` (``gtp.diagnostics`` at the
    chosen GTP setting, or ``None``) and ``verdict`` (:func:`verdict`).

    Used in: book/training/tables.md, results/SUMMARY.md.
    """
    from . import diagnostics
    from .protocol import Protocol
    root = root or paper.RESULTS_ROOT
    plan = Protocol(paper.rows_of(tables), root=root)
    diag = (diagnostics.load(root) or {}).get("rows", {})
    v1 = paper.v1_root(root)
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


def tolerance(*stds, floor):
    """The difference two means may show and still count as equal (points): the seeds'
    spread ``sqrt(sum(std^2))``, at least ``floor``."""
    return max(float(np.sqrt(sum((s or 0.0) ** 2 for s in stds))), floor)


def verdict(row, criteria=None):
    """Where GTP (protocol v2) reaches the paper and backprop on one row of
    :func:`comparison_data`, and the measured reasons where it does not.

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
    from .protocol import FINAL
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
    """Markdown table of ``gtp.diagnostics`` for the rows measured: the chosen tau and
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
    training of ``gtp.diagnostics``, per measured row: ``{"grew": [...], "fell": [...]}``,
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
    """One measured reason of :func:`verdict` in words."""
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
            text += (". Measured" + (" reasons" if failed else " (no shortfall to explain)") + ": " +
                     "; ".join(reason_text(x) for x in v["reasons"]))
        elif failed:
            text += ". No measured quantity crosses its criterion (budget, layer gains, Hebbian pull)"
        if "pull" not in v and failed:
            text += " (Hebbian pull not measured yet: `python -m gtp diagnostics`)"
        lines.append(text + ".")
    return "\n".join(lines)


def verdict_counts(rows, criteria=None):
    """``{"judged", "paper", "backprop", "both_judged", "budget", "gain", "hebbian",
    "rising" (rows where GTP still rises on most seeds)}``: how many rows with finished GTP
    runs reach the paper, how many with both rules finished reach backprop, and how many
    carry each measured reason.

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


def summary_markdown(root=None, tables=(1, 2, 3)):
    """The whole comparison as one Markdown page (``results/SUMMARY.md``): protocol v2
    (equal budget) beside the paper and protocol v1 at the selected and at the last epoch,
    the chosen settings, the Hebbian pull, the verdict, then protocol v1's tables and
    searches.  Deterministic (no time stamp): ``tests/test_summary.py`` checks that the
    committed page equals what this returns for the committed results."""
    root = root or paper.RESULTS_ROOT
    rows = comparison_data(root, tables)
    v1 = paper.v1_root(root)
    c = CRITERIA
    done = sum(r["gtp"]["state"] == "done" and r["backprop"]["state"] == "done" for r in rows)
    parts = [
        "# Reproduction summary\n",
        "Generated by `python -m gtp summary --write results/SUMMARY.md` from the result files "
        "(`results/v2/`: the equal-budget protocol, `gtp.protocol`; `results/v1/`: the 6-epoch "
        "runs with the printed settings); do not edit by hand. Cells: test accuracy %, mean ± "
        "std over seeds (number of seeds) and the seeds; ↑k/n: k of the n seeds' validation "
        "accuracy still rises at the last epoch (least-squares slope over the last "
        "epochs > 0). Rows that have not finished say what is running.\n",
        f"Protocol v2: {done} of {len(rows)} rows finished for both rules.\n",
        "## Protocol v2 (equal budget): test accuracy at the epoch selected on validation\n",
        comparison_markdown(rows),
        "\n## Protocol v2: test accuracy at the last epoch\n",
        comparison_markdown(rows, last=True),
        "\n## Settings chosen by the equal-budget searches\n",
        settings_markdown(rows),
        "\n## Hebbian pull of the chosen GTP settings (`python -m gtp diagnostics`)\n",
        hebbian_markdown(rows) if any(r["hebbian"] for r in rows) else "Not measured yet.",
        "\n## Verdict, row by row\n",
        f"Criteria (`gtp.report.CRITERIA`): GTP *reaches* a reference when its mean is at least "
        f"the reference minus the combined standard deviation over seeds (GTP's alone against "
        f"the paper), and at least {c['floor']:g} points; reasons listed are the measurements "
        f"that cross their criterion: the budget (validation accuracy still rising on more than "
        f"{c['rising']:.0%} of the seeds, or the chosen setting at the edge of the extended "
        f"range), the layer gains (an effective rate eta_l tau^(L-1-l) more than "
        f"{c['gain_factor']:g}× or less than 1/{c['gain_factor']:g} of backprop's chosen eta_l), "
        f"the Hebbian pull (Hebbian terms at least {c['pull']:g}× the backprop term in some "
        f"layer).\n",
        verdict_markdown(rows),
        "\n## Protocol v1 (6 epochs): test accuracy at the epoch selected on validation",
        summary_table(v1, tables),
        "\n## Protocol v1: test accuracy at the last epoch", summary_table(v1, tables, last=True)]
    for kind, what in (("bp-lr", "backprop learning rate"),
                       ("gtp-search", "GTP settings")):
        parts += [f"\n## Protocol v1 validation search: {what} (`{kind}`; validation accuracy %, "
                  f"last column: the choice)\n", search_table(v1, kind, tables)]
    return "\n".join(parts) + "\n"
