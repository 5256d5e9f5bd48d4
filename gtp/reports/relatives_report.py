"""Reading the relatives' experiments: the equal-budget protocol's final runs of feedback
alignment, direct feedback alignment, target propagation and difference target
propagation (``python -m gtp run relatives``, ``results/relatives/v2/``) next to GTP and backprop
on the same rows (``results/v2/``, not rerun).  Numbers only; the chapter writes the
sentences.  (``gtp.reports`` reads the Training part's results; this module is its
counterpart for the part "GTP among its relatives".)
"""
import warnings

import numpy as np

from ..engine import records as R
from ..engine.records import RESULTS_ROOT
from ..experiments.relatives_angles import angle_curves  # noqa: F401  (re-exported for the chapters)

__all__ = ["relatives_summary", "relatives_markdown", "angle_curves", "final_records",
           "mean_angle_curves", "finished_rows", "relatives_verdict", "verdict_markdown",
           "angle_markdown", "space_markdown", "choices_markdown"]


def _plan(root, rows, rules):
    from ..experiments.protocol_v2 import Protocol
    return Protocol(rows, root=root, rules=rules)


def final_records(row, rule, root=None):
    """The finished final runs (records with a selection) of ``rule`` on ``row`` under
    ``root`` (default: ``results/relatives`` for a relative, ``results`` for GTP and backprop)."""
    from ..engine.rules import get_rule
    from ..experiments.protocol_v2 import RELATIVES
    if root is None:
        root = RELATIVES["root"] if get_rule(rule).part == "relatives" else RESULTS_ROOT
    plan = _plan(root, [row], (rule,))
    recs = [R.read_result(plan.final_path(row, rule, s)) for s in plan.seeds]
    return [r for r in recs if r is not None and r.get("selection")]


def relatives_summary(root=None, rows=None, rules=None, v2_root=None):
    """One dict per row: the paper's accuracy and, per rule (GTP and backprop from
    ``v2_root``, the others from ``root``), the seeds, test accuracies at the selected
    epoch (fractions), their mean and std, and how many runs diverged."""
    from ..engine.rules import rules_of
    from ..experiments.protocol_v2 import RELATIVES, RULES, relatives_rows
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
    from ..engine.rules import get_rule
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



def mean_angle_curves(row, rule, root=None):
    """The per-layer angle to backprop over the epochs of ``rule``'s finished final runs on
    ``row``, over the seeds: ``{"epoch": [...], "angle": array (epochs, L) of the mean,
    "low", "high": the smallest and largest seed, "seeds": [...]}`` (degrees; ``nan`` where
    no seed has an angle), or ``None`` if no run is finished.  Seeds that stopped early
    (diverged) shorten the curves to the epochs every seed has."""
    recs = final_records(row, rule, root)
    curves = [(r["config"]["seed"], angle_curves(r)) for r in recs]
    curves = [(s, c) for s, c in curves if c["epoch"]]
    if not curves:
        return None
    n = min(len(c["epoch"]) for _, c in curves)
    A = np.array([[[np.nan if a is None else a for a in layer] for layer in c["angle"][:n]]
                  for _, c in curves], dtype=float)
    with warnings.catch_warnings():         # a layer with no angle in any seed stays nan
        warnings.simplefilter("ignore", RuntimeWarning)
        mean, low, high = np.nanmean(A, 0), np.nanmin(A, 0), np.nanmax(A, 0)
    return {"epoch": list(curves[0][1]["epoch"][:n]), "seeds": [s for s, _ in curves],
            "angle": mean, "low": low, "high": high}


def _done(m, n_seeds):
    return len(m["seeds"]) >= n_seeds


def finished_rows(summary, n_seeds=None):
    """The rows of :func:`relatives_summary` whose every rule has all its final runs."""
    from ..experiments.protocol_v2 import FINAL
    n = n_seeds or len(FINAL["seeds"])
    return [d for d in summary if all(_done(m, n) for m in d["rules"].values())]


def relatives_verdict(d, criteria=None, n_seeds=None):
    """One row of :func:`relatives_summary` judged as ``gtp.reports.verdict`` judges GTP:
    ``{"ranking": [(rule, mean %), ...] best first, "rules": {rule: {"to_backprop",
    "to_gtp"}}}`` for every rule with all its final runs; ``to_backprop`` / ``to_gtp``:
    ``{"diff" (rule - reference, points), "tol" (``gtp.reports.tolerance``), "reaches"}``
    (``None`` if the reference is not finished).  The mean of a rule whose runs diverged
    counts them (their selected epoch)."""
    from ..experiments.protocol_v2 import FINAL
    from .protocol_report import CRITERIA, tolerance
    c = dict(CRITERIA, **(criteria or {}))
    n = n_seeds or len(FINAL["seeds"])
    done = {r: m for r, m in d["rules"].items() if _done(m, n)}
    pct = {r: (100 * m["mean"], 100 * m["std"]) for r, m in done.items()}
    ranking = sorted(((r, pct[r][0]) for r in done), key=lambda x: -x[1])
    out = {"ranking": ranking, "rules": {}}
    for r in done:
        judged = {}
        for key, ref in (("to_backprop", "backprop"), ("to_gtp", "gtp")):
            if ref == r or ref not in done:
                judged[key] = None
                continue
            diff = pct[r][0] - pct[ref][0]
            tol = tolerance(pct[r][1], pct[ref][1], floor=c["floor"])
            judged[key] = {"diff": diff, "tol": tol, "reaches": diff >= -tol}
        out["rules"][r] = judged
    return out


def _names(rules):
    from ..engine.rules import get_rule
    return ", ".join(get_rule(r).short for r in rules) or "none"


def verdict_markdown(summary, criteria=None, n_seeds=None):
    """Markdown table of :func:`relatives_verdict` for the rows where every rule finished:
    data set | network | ranking (test %, best first) | reach backprop | reach GTP, with
    the rules' short names (``Rule.short``).
    "Reach" means a mean at most the seeds' spread (at least ``CRITERIA["floor"]``) below."""
    from ..engine.rules import get_rule
    lines = ["| data set | network | ranking (test %, best first) | reach backprop | reach GTP |",
             "|---|---|---|---|---|"]
    for d in finished_rows(summary, n_seeds):
        v = relatives_verdict(d, criteria, n_seeds)
        rank = ", ".join(f"{get_rule(r).short} {m:.2f}" for r, m in v["ranking"])
        bp = [r for r, j in v["rules"].items() if j["to_backprop"] and j["to_backprop"]["reaches"]]
        gtp = [r for r, j in v["rules"].items() if j["to_gtp"] and j["to_gtp"]["reaches"]]
        lines.append(f"| {d['dataset']} | {d['net']} | {rank} | {_names(bp)} | {_names(gtp)} |")
    return "\n".join(lines)


def angle_markdown(curves):
    """Markdown table of the angle to backprop after the last epoch (mean over seeds) of
    every hidden weight matrix: data set | network | rule | W_0 | W_1 | ...  ``curves``:
    ``{(dataset, net): {rule: mean_angle_curves(...)}}``."""
    from ..engine.rules import get_rule
    H = max((c["angle"].shape[1] - 1 for rows in curves.values() for c in rows.values()
             if c is not None), default=0)
    lines = ["| data set | network | rule | " + " | ".join(f"W_{l}" for l in range(H)) + " |",
             "|" + "---|" * (3 + H)]
    for (dataset, net), rows in curves.items():
        for rule, c in rows.items():
            if c is None:
                continue
            last = c["angle"][-1]
            cells = [("-" if l >= len(last) - 1 or np.isnan(last[l]) else f"{last[l]:.0f}°")
                     for l in range(H)]
            lines.append(f"| {dataset} | {net} | {get_rule(rule).short} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def space_markdown(row, rules):
    """Markdown table of the round-1 search space of each rule on ``row`` (the protocol's
    ``space``: the registry's ``SearchSpace``): rule | parameter | range (sampled on a log
    scale where marked).  The activation choice, the same for every rule, is not listed."""
    from ..engine.rules import get_rule
    from ..experiments.protocol_v2 import space
    lines = ["| rule | parameter | round-1 range |", "|---|---|---|"]
    for rule in rules:
        for i, (name, (lo, hi, log)) in enumerate(space(row, rule).items()):
            rng = f"{10 ** lo:.3g} to {10 ** hi:.3g} (log scale)" if log else f"{lo:g} to {hi:g}"
            lines.append(f"| {get_rule(rule).short if i == 0 else ''} | {name} | {rng} |")
    return "\n".join(lines)


def choices_markdown(rows=None, rules=None, root=None, v2_root=None):
    """Markdown table of what each rule's search chose on each row: data set | network |
    rule | chosen setting | activations | at an edge | validation % at the last rung.
    GTP's and backprop's searches are read from ``v2_root`` (default ``results``), the
    relatives' from ``root`` (default ``results/relatives``); a search still running says so."""
    from ..engine.rules import get_rule, rules_of
    from ..experiments.protocol_v2 import RELATIVES, RULES, relatives_rows
    rows = rows if rows is not None else relatives_rows()
    rules = tuple(RULES) + tuple(r for r in (rules or RELATIVES["rules"]) if r not in RULES)
    lines = ["| data set | network | rule | chosen setting | activations | at an edge | "
             "validation % (search) |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        for rule in rules:
            base = (root or RELATIVES["root"]) if rule in rules_of("relatives") else \
                (v2_root or RESULTS_ROOT)
            path = _plan(base, [row], (rule,)).search_path(row, rule)
            head = f"| {row.dataset} | {row.net} | {get_rule(rule).short} |"
            search = R.read_result(path)
            if search is None or "choice" not in search:
                lines.append(head + " search not finished |  |  |  |")
                continue
            ch = search["choice"]
            p = ch["params"]
            setting = ", ".join(f"{k} {v:.3g}" for k, v in p.items() if k != "acts")
            lines.append(f"{head} {setting} | {p['acts']} | {', '.join(ch['at_edge']) or 'none'} | "
                         f"{100 * ch['val_acc']:.2f} |")
    return "\n".join(lines)
