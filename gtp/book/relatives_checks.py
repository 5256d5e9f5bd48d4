"""Numerical checks of the identities that relate GTP's relatives to backprop and to GTP.

Used in: book/relatives/derivations.md (the chapter shows the result, not the loop).
On random small networks (sizes, depth, activations, label, tau and eta_hat drawn at
random), each identity derived in the chapter is evaluated on both sides and the largest
difference kept.
"""
import numpy as np

from ..engine.rules import get_rule
from ..engine.training import TrainConfig
from ..maths import relatives_maths as rel
from ..maths.activations import get_activation, resolve_activations, sigmoid
from ..maths.initialisation import init_weights
from ..maths.network import forward
from ..maths.targets import targets
from ..maths.updates import backprop_deltas

#: the name of the one identity that holds through a linear solve, not to rounding
EXACT_INVERSES = "DTP vs TP, exact inverses"


def identity_checks(trials=200, seed=2):
    """``(worst, tp_moves)``: for each identity of the chapter, the largest difference
    between its two sides over ``trials`` random networks (``inf`` once one is not finite),
    and, for TP with random inverses and a top target equal to the activity, how far its
    hidden targets still move from the activities (one value per network).

    The identities: feedback alignment with B = W^T is backprop; DFA with B = W^T on one
    hidden layer is backprop; the first target of TP/DTP is GTP's Euler step from the
    activation; GTP's hidden signal (zero start, one step) is (tau W^T d - y) f'; DTP's
    targets stay at the activities when the top one does; and DTP equals TP with exact
    inverses (sigmoid layers, a reachable top target).
    """
    rng = np.random.default_rng(seed)
    worst, tp_moves = {}, []

    def note(key, diff):
        """Keep the largest difference seen for one identity (inf once one is not finite)."""
        worst[key] = max(worst.get(key, 0.0), float(diff) if np.isfinite(diff) else np.inf)

    for trial in range(trials):
        n = int(rng.integers(3, 8))
        depth = int(rng.integers(2, 5))
        sz = [int(rng.integers(3, 9))] + [n] * depth + [int(rng.integers(2, 5))]
        acts = ["sigmoid", "paper"][trial % 2]
        Wr = init_weights(sz, "paper", rng=rng)
        xr, lab = rng.random(sz[0]), int(rng.integers(sz[-1]))
        z, y = forward(Wr, xr, acts)
        bp = backprop_deltas(Wr, z, y, lab, acts)
        L = len(Wr)
        names = resolve_activations(acts, L)
        # feedback alignment with the transposes: backprop exactly
        fa = rel.fa_deltas(Wr, z, y, lab, {l: Wr[l].T for l in range(1, L)}, acts)
        note("FA with B = W^T vs backprop", max(np.max(np.abs(a - b)) for a, b in zip(fa, bp)))
        # DFA on the sub-network with one hidden layer (input -> hidden 1 -> output)
        W1 = [Wr[0], rng.normal(size=(sz[-1], sz[1]))]
        z1, y1 = forward(W1, xr, acts)
        dfa = rel.dfa_deltas(W1, z1, y1, lab, {1: W1[1].T}, acts)
        bp1 = backprop_deltas(W1, z1, y1, lab, acts)
        note("DFA, B = W^T, 1 hidden layer vs backprop", max(np.max(np.abs(a - b)) for a, b in zip(dfa, bp1)))
        # the first target of TP/DTP is one Euler step of eq. 32 from the activation
        eta_hat = float(rng.uniform(0.05, 3))
        top = rel.top_target(Wr, z, y, lab, eta_hat, acts)
        euler = targets(Wr, z, y, lab, eta_hat, 1, "activation", acts)[L - 1]
        note("first target vs GTP Euler step", np.max(np.abs(top - euler)))
        # GTP's hidden signal with the zero start and one step (relative to its size)
        tau = float(rng.uniform(0.1, 50))
        cfg = TrainConfig(sizes=tuple(sz), rule="gtp", acts=acts, tau=tau, steps=1, start="zero",
                          dtype="float64")
        _, _, dg = get_rule("gtp").deltas(Wr, xr, lab, cfg)
        for l in range(1, L):
            want = (tau * Wr[l].T @ dg[l] - y[l]) * get_activation(names[l - 1])[1](z[l])
            note("GTP signal vs (tau W^T d - y) f', relative",
                 np.max(np.abs(dg[l - 1] - want)) / max(np.max(np.abs(want)), 1e-300))
        # imperfect (random) inverses: DTP keeps every target at the activity when the top one
        # is; TP does not
        V = {k: (rng.normal(size=(n, n)), rng.normal(size=n)) for k in range(1, L - 1)}
        g = {k: (lambda h, k=k: rel.inverse(V[k][0], V[k][1], h, names[k - 1])) for k in V}
        dtp_t = rel.propagate_targets(y, y[L - 1], g, difference=True)
        tp_t = rel.propagate_targets(y, y[L - 1], g, difference=False)
        note("DTP, top target = activity: targets - activity",
             max(np.max(np.abs(dtp_t[k] - y[k])) for k in range(1, L)))
        tp_moves.append(max(np.max(np.abs(tp_t[k] - y[k])) for k in range(1, L - 1)))
        # exact inverses of the sigmoid layers (square, invertible W_k): the correction vanishes
        # (for a top target the network can reach: the forward image of a moved hidden layer 1)
        if acts == "sigmoid":
            exact = {k: (lambda h, k=k: np.linalg.solve(Wr[k], np.log(h / (1 - h)))) for k in range(1, L - 1)}
            reachable = sigmoid(z[1] + 0.3 * rng.normal(size=n))
            for k in range(1, L - 1):
                reachable = sigmoid(Wr[k] @ reachable)
            a = rel.propagate_targets(y, reachable, exact, difference=True)
            b = rel.propagate_targets(y, reachable, exact, difference=False)
            note("DTP vs TP, exact inverses", max(np.max(np.abs(a[k] - b[k])) for k in range(1, L)))
    return worst, tp_moves
