"""What the protocols cost: seconds per training example of each row (measured on the v1
table runs), each rule's cost relative to GTP's and backprop's, and the calibration of that
estimate by the finished v2 final runs.

Used by ``protocol_v2.budget`` and ``protocol_v3`` (``python -m gtp status``), and by the
runner's progress bar (each task's ``cost``).
"""
import os
import statistics

from ..engine import records as R
from ..engine.records import RESULTS_ROOT, V1_ROOT

__all__ = ["RULE_COST", "throughput", "cost_per_example", "rules_cost", "calibration"]

#: seconds per training example of a rule relative to the v1 runs' (GTP, backprop), measured
#: with benchmarks/bench_relatives.py (batch size 1, float32, one core; 784-500-500-10 and
#: 784-500-500-500-10 on a loaded machine, 2026-11-30: FA 1.06-1.11, DFA 0.87-1.00, DTP
#: 1.91-2.37, TP 1.48-2.13 times backprop), rounded up
RULE_COST = {"gtp": 1.0, "backprop": 1.0, "fa": 1.1, "dfa": 1.0, "dtp": 2.2, "tp": 1.8}
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


def cost_per_example(row):
    """Estimated seconds per training example of a row (1e-4 when unmeasured)."""
    return throughput().get((row.dataset, row.net), 1e-4)


def rules_cost(rules):
    """The summed cost factor (``RULE_COST``) of ``rules``: their number for GTP and backprop."""
    return sum(RULE_COST.get(r, 1.0) for r in rules)


def calibration(root=RESULTS_ROOT, version="v2"):
    """How the finished v2 final runs under ``root`` compare with the v1 estimate:
    ``{"runs": n, "median": m, "low": lo, "high": hi}`` of the ratios (wall time per
    training example, evaluation included) / (``throughput()`` of the same row), or
    ``None`` if no v2 final run is finished.  Runs that shared the machine with other
    work are slower; the median is what the budget uses."""
    ratios = []
    for rec in R.load_results(os.path.join(root, version), "final"):
        ep = [e for e in rec.get("epochs", []) if e["epoch"] >= 1 and not e.get("partial")]
        key = (rec["config"]["dataset"], "-".join(map(str, rec["config"]["sizes"])))
        if ep and rec.get("wall_time") and key in throughput():
            per = rec["wall_time"] / (len(ep) * rec["data"]["n_train"])
            ratios.append(per / throughput()[key] / RULE_COST.get(rec["config"]["rule"], 1.0))
    if not ratios:
        return None
    return {"runs": len(ratios), "median": statistics.median(ratios), "low": min(ratios),
            "high": max(ratios)}
