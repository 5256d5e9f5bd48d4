"""Protocol v1's tables: result files of ``results/v1`` -> cells, tables, gaps to the paper.

A *kind* of run is a ``(rule, variant)`` pair: the rule comes from the registry
``gtp.engine.rules``, the variant from protocol v1 (``gtp.experiments.protocol_v1.VARIANTS``:
"printed", "sigmoid", "tuned"; the baseline rule has only "printed").  A *cell* summarises
the runs of one kind on one row: mean ± std over the finished seeds (percent), the seeds, and
counts of diverged and unfinished runs.  Accuracies are test accuracies at the epoch
selected on validation (``which="test_acc_at_best"``) or at the last epoch.  ``root`` is the
v1 folder (``records.V1_ROOT``).
"""

import numpy as np

from ..engine import records as R
from ..engine.rules import RULES, baseline, get_rule, studied
from ..maths import paper

__all__ = ["STATUS_DONE", "VARIANT_TEXT", "VARIANT_COLOURS", "kind_label", "kind_colour",
           "table_data", "summarise", "columns", "cell_text", "table_markdown", "gaps",
           "verdict_data", "versus_baseline", "still_improving", "gains_table", "e20_data",
           "summary_data", "summary_table", "search_table"]

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
    defaults to protocol v1's folder (``R.V1_ROOT``).

    Returns one dict per row of ``gtp.maths.paper.ROWS``: ``table``, ``net``, ``sizes``,
    ``dataset``, ``tau``, ``eta``, ``paper`` (percent), ``gains`` (per-layer gains of the
    printed settings, ``decomposition.layer_gains``), ``cells`` (kind -> ``summarise``) and
    ``records`` (kind -> the runs, for learning curves).

    Used in: book/training/tables.md (through the figures too).
    """
    recs = R.load_results(root or R.V1_ROOT, folder or f"table{table}")
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
    root = root or R.V1_ROOT
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
    """Protocol v1 (``root``: its folder, default ``R.V1_ROOT``) as data: one dict per row with the paper's values and, per method
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
    from ..experiments import protocol_v1 as rp
    root = root or R.V1_ROOT
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
