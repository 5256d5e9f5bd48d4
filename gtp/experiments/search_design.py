"""The equal-budget protocols' validation search: search spaces, the seeded Latin-hypercube
design of each round, successive halving's ranking, the round-2 ranges, and the flags a
choice carries (``at_edges``, ``still_rising``).

Two rounds of successive halving over a Latin-hypercube sample.  Round 1: ``trials``
points (the first is the anchor: the printed settings for GTP, the range's centre for
backprop; ``acts`` alternates in a seeded order) train ``rung_epochs[0]`` epoch(s) on the
first ``n_train`` training examples; the ``keep`` best on validation accuracy continue to
``rung_epochs[1]`` epochs.  Round 2 samples ``trials`` new points with the round-1 winner's
activations, in ranges centred on the winner: a dimension whose winner lies within 1/6 of
the range's width from an edge gets the same width centred on the winner (the range
*extends* beyond that edge), every other dimension half the width.  Both rules therefore
get 2 x ``trials`` trials of the same epochs per row.

Used by ``protocol_v2`` (v2 and the relatives) and ``protocol_v3`` (which reuses v2's
searches and adds the choice at the final horizon).
"""
import numpy as np

from ..engine.rules import get_rule, rule_names
from ..maths.paper import ROWS

__all__ = ["SEARCH", "FINAL", "ACTS", "space", "layer_etas", "trial_changes", "design", "next_ranges",
           "at_edges", "still_rising", "search_examples", "n_train_full", "score", "rank"]

#: validation search of every row and rule (seed 0, first n_train examples, no test split)
SEARCH = {"n_train": 20000, "trials": 12, "keep": 4, "rung_epochs": (1, 4), "rounds": 2,
          "seed": 0, "edge": 1 / 6}
#: final runs
FINAL = {"epochs": 20, "seeds": (0, 1, 2), "rising_window": 5}
ACTS = ("paper", "sigmoid")
#: every rule with a search space (both parts): a rule's index here seeds its designs, so
#: GTP's and backprop's designs are those of the v2 runs
_SEARCHABLE = tuple(name for name in rule_names() if get_rule(name).search is not None)


def _search(rule):
    r = get_rule(rule)
    if r.search is None:
        raise ValueError(f"rule: {rule!r} has no search space in the registry; rules of the "
                         f"protocol: {tuple(n for n in rule_names() if get_rule(n).search is not None)}")
    return r.search


def space(row, rule):
    """Round-1 search space of ``rule`` (its registry entry): ``{name: (lo, hi, log)}``
    (log: the range is in log10)."""
    return _search(rule).space(row)


def layer_etas(rule, L, params):
    """Per-layer learning rates eta_0..eta_{L-1} of a search point (the rule's registry
    entry: e.g. GTP's gain compensation undoes the tau^(L-1-l) factor of W_l)."""
    return _search(rule).layer_etas(L, params)


def trial_changes(row, rule, params):
    """``make_config`` changes of a search point (rule, activations, per-layer eta, and the
    parameters the rule's search space puts into the config, e.g. GTP's tau)."""
    L = len(row.sizes) - 1
    ch = {"rule": rule, "acts": params["acts"], "eta": layer_etas(rule, L, params)}
    for name in _search(rule).config:
        ch[name] = params[name]
    return ch


def _value(x, log):
    return float(10 ** x) if log else float(x)


def _coord(v, log):
    return float(np.log10(v)) if log else float(v)


def design(row, rule, rnd, ranges, acts=None, anchor=True, n=None):
    """The seeded Latin-hypercube sample of one round: a list of parameter dicts.

    ``ranges``: ``{name: (lo, hi, log)}``.  ``acts``: fixed activations (round 2) or
    ``None`` (alternating in a seeded order).  ``anchor``: the first point is the rule's
    anchor (GTP: the printed setting; backprop: the ranges' centre).  ``n``: points (``SEARCH["trials"]``)."""
    n = n or SEARCH["trials"]
    rng = np.random.default_rng([ROWS.index(row) if row in ROWS else 99, _SEARCHABLE.index(rule), rnd])
    u = {name: (rng.permutation(n) + rng.random(n)) / n for name in ranges}
    act_order = rng.permutation([ACTS[i % 2] for i in range(n)])
    out = []
    for i in range(n):
        p = {name: _value(lo + u[name][i] * (hi - lo), log) for name, (lo, hi, log) in ranges.items()}
        p["acts"] = acts or str(act_order[i])
        out.append(p)
    if anchor:
        out[0] = dict(_search(rule).anchor(row, ranges), acts="paper")
    return out


def next_ranges(ranges, winner):
    """Round-2 ranges around the round-1 winner, and the dimensions where it sat at an edge
    (those are extended beyond that edge; the others are halved)."""
    out, edges = {}, []
    for name, (lo, hi, log) in ranges.items():
        x, w = _coord(winner[name], log), hi - lo
        if min(x - lo, hi - x) < SEARCH["edge"] * w:
            edges.append(name)
            out[name] = (x - w / 2, x + w / 2, log)
        else:
            out[name] = (x - w / 4, x + w / 4, log)
    return out, edges


def at_edges(ranges, params):
    """Dimensions where ``params`` lies within ``SEARCH["edge"]`` of the width of an edge."""
    return [name for name, (lo, hi, log) in ranges.items()
            if min(_coord(params[name], log) - lo, hi - _coord(params[name], log))
            < SEARCH["edge"] * (hi - lo)]


def still_rising(val_accs, window=None):
    """True if the least-squares slope of the last ``window`` validation accuracies is > 0
    (above 1e-12: a flat curve's fitted slope is a rounding error of either sign, e.g.
    +2.5e-16 for three epochs at 1.0)."""
    window = window or FINAL["rising_window"]
    v = [a for a in val_accs if a is not None][-window:]
    if len(v) < 2:
        return False
    return bool(np.polyfit(np.arange(len(v)), np.asarray(v, float), 1)[0] > 1e-12)


def search_examples(row, search=None):
    """Training examples one search (one rule, one row) processes: every round trains
    ``trials`` runs for the first rung's epochs and continues ``keep`` to the last."""
    s = search or SEARCH
    per_round = s["trials"] * s["rung_epochs"][0] + s["keep"] * (s["rung_epochs"][1] - s["rung_epochs"][0])
    return s["rounds"] * min(s["n_train"], n_train_full(row)) * per_round


def score(rec):
    """Validation accuracy at the best epoch of a search run (-1 if it diverged early)."""
    sel = rec.get("selection")
    return sel["val_acc_at_best"] if sel else -1.0


def rank(entries):
    """Entries ``(score, index, ...)`` best first; ties go to the lower index."""
    return sorted(entries, key=lambda e: (-e[0], e[1]))


def n_train_full(row):
    """Size of the row's full training split (CIFAR-10: 45,000; MNIST, Fashion-MNIST: 50,000)."""
    return 45000 if row.dataset == "cifar-10" else 50000
