"""GTP = backprop + (anti-)Hebbian terms (section 3.3, eq. 11-16; Appendix D, eq. 38-51).

With the zero start and one Euler step, the target error of hidden layer l is
(``start="zero"``, eq. 39 with tau restored)

    e_l = yhat_l - y_l = tau_l J_l^T e_{l+1} - y_l,    J_l = dy_{l+1}/dy_l = diag(f'(z_{l+1})) W_l,

and unrolling it up to the output gives, for the weights W_l (into layer l+1), the exact
decomposition checked in ``tests/test_decomposition.py``:

    dW_l = -eta ( prod_{m=l+1}^{L-1} tau_m ) dC/dW_l
           - eta sum_{k=l+1}^{L-1} ( prod_{m=l+1}^{k-1} tau_m ) d(1/2 ||y_k||^2)/dW_l

where C is the output cost and every derivative is taken through the forward network
(backprop).  The k = l+1 term is local, eta y_{l+1} f'(z_{l+1}) y_l^T, a non-linear
Hebbian product entering with a minus sign (anti-Hebbian); terms with k > l+1 back-propagate
the activity of higher layers and are not local.

The printed equations carry sign errors: eq. 12 (and eq. 41) write
dC/dw = +(yhat - y) dy/dw instead of -(yhat - y) dy/dw; the printed eq. 14 is exactly the
negative of the true update, and the alternating signs of eq. 48-51 come from repeating
that sign error at every layer.  ``printed_eq14`` and ``printed_eq51`` implement the
equations as printed so that the book can measure where they hold.
"""
import numpy as np

from .activations import get_activation, resolve_activations
from .network import forward
from .updates import backprop_gradients, backprop_updates, cosine, gtp_updates, outer
from .validation import DivergenceError, check_tau, per_layer

__all__ = ["cosine", "sign_delta", "activity_gradients", "zero_start_terms",
           "decomposed_update", "printed_eq14", "printed_eq51", "term_shares",
           "cosine_grid", "span_residual", "feedback_channels", "channel_norms", "layer_gains"]


def sign_delta(n):
    """The paper's sign function (eq. 49): -1 for odd n, +1 for even n."""
    return -1 if n % 2 else 1


def activity_gradients(W, x, k, acts="sigmoid"):
    """d(1/2 ||y_k||^2)/dW_l for l = 0..L-1, by backprop from layer k (zeros for l >= k).

    The l = k-1 entry is the local product (y_k * f'(z_k)) y_{k-1}^T.
    """
    names = resolve_activations(acts, len(W))
    zs, ys = forward(W, x, acts)
    grads = [np.zeros_like(w) for w in W]
    dz = ys[k] * get_activation(names[k - 1])[1](zs[k])
    for l in range(k - 1, -1, -1):
        grads[l] = outer(dz, ys[l])
        if l > 0:
            dz = (dz @ W[l]) * get_activation(names[l - 1])[1](zs[l])
    return grads


def _tau_product(taus, lo, hi):
    """prod_{m=lo}^{hi} tau_m over hidden layers m (taus[m-1] is tau_m); 1 if empty."""
    return float(np.prod([taus[m - 1] for m in range(lo, hi + 1)])) if hi >= lo else 1.0


def layer_gains(n_layers, tau, eta=1.0):
    """Multiplier of the backprop term in the zero-start one-step update of each W_l:
    eta_l prod_{m=l+1}^{L-1} tau_m, i.e. eta tau^(L-1-l) for one tau (module docstring,
    the corrected eq. 14-16).  ``n_layers`` = L weight matrices; ``tau`` one value or one
    per hidden layer, ``eta`` one value or one per weight matrix.  Returns a list of L floats.
    For large tau this is the size of W_l's update relative to backprop's gradient; the output
    layer's gain is ``eta`` and a hidden layer's is ``eta * tau`` only for the last hidden layer.
    A tau above ``validation.TAU_MAX`` or a gain above ``validation.GAIN_MAX`` is a ValueError.

    Used in: book/closing.md, book/theory/backprop-hebbian.md, book/training/tables.md (through
    ``paper.Row.gains``), book/training/sensitivity.md.
    """
    if int(n_layers) != n_layers or n_layers < 1:
        raise ValueError(f"n_layers: expected a number of weight matrices >= 1, got {n_layers}")
    L = int(n_layers)
    taus = check_tau(tau, L, eta)                  # each gain at most validation.GAIN_MAX
    etas = per_layer(eta, L, "eta")
    return [float(etas[l]) * _tau_product(taus, l + 1, L - 1) for l in range(L)]


def zero_start_terms(W, x, label, tau, acts="sigmoid"):
    """The terms of the corrected decomposition (module docstring), without eta.

    Returns a list over weight layers l = 0..L-1 of dicts with
    ``backprop`` = -(prod tau) dC/dW_l and ``activity`` = {k: -(prod tau) d(1/2||y_k||^2)/dW_l}
    for the hidden layers k = l+1..L-1 (``activity[l+1]`` is the local anti-Hebbian term).
    """
    L = len(W)
    taus = check_tau(tau, L)
    dC = backprop_gradients(W, x, label, acts)
    act_grads = {k: activity_gradients(W, x, k, acts) for k in range(1, L)}
    out = []
    for l in range(L):
        terms = {"backprop": -_tau_product(taus, l + 1, L - 1) * dC[l], "activity": {}}
        for k in range(l + 1, L):
            terms["activity"][k] = -_tau_product(taus, l + 1, k - 1) * act_grads[k][l]
        out.append(terms)
    return out


def decomposed_update(W, x, label, tau, eta, acts="sigmoid"):
    """eta x (backprop term + all activity terms): equals ``gtp_updates(..., steps=1,
    start="zero")`` to rounding (the corrected eq. 14-16, 48-51)."""
    etas = per_layer(eta, len(W), "eta")
    return [e * (t["backprop"] + sum(t["activity"].values(), np.zeros_like(t["backprop"])))
            for e, t in zip(etas, zero_start_terms(W, x, label, tau, acts))]


def printed_eq14(W, x, label, tau, eta, acts="sigmoid"):
    """Eq. 14 as printed, for the weights into the top hidden layer (W[L-2]):

        dW = eta tau dC_L/dy_{L-1} dy_{L-1}/dW + eta y_{L-1} dy_{L-1}/dW.

    It equals minus the true update (the sign error of eq. 12 propagated)."""
    L = len(W)
    if L < 2:
        raise ValueError("W: eq. 14 needs at least one hidden layer (len(W) >= 2)")
    tau = check_tau(tau, 2, eta)[0]
    dC = backprop_gradients(W, x, label, acts)[L - 2]
    hebb = activity_gradients(W, x, L - 1, acts)[L - 2]
    return eta * tau * dC + eta * hebb


def printed_eq51(W, x, label, p, acts="sigmoid"):
    """Eq. 51 (= eq. 15, and eq. 48 for q - p = 4) as printed, tau = eta = 1 (Appendix D):

        dw_p = d/dw_p [ delta(q-p) C_q - sum_{i=p+1}^{q-1} delta(i-p) y_i^2 / 2 ],

    with q = L the output layer and ``W[p]`` the weights from layer p to p+1."""
    L = len(W)
    if not 0 <= p < L:
        raise ValueError(f"p: expected a weight-layer index in 0..{L - 1}, got {p}")
    out = sign_delta(L - p) * backprop_gradients(W, x, label, acts)[p]
    for i in range(p + 1, L):
        out = out - sign_delta(i - p) * activity_gradients(W, x, i, acts)[p]
    return out


def printed_eq51_check(sizes=(7, 6, 5, 4, 3, 2), seed=3, label=1, acts="sigmoid"):
    """The printed eq. 51 against the true zero-start, one-step update (tau = eta = 1, as in
    Appendix D) on one random network and input: per weight layer p, ``{"minus": |printed -
    true|, "plus": |printed + true|, "cosine": cosine(printed, true)}`` (max-norms).  The
    network is ``init_weights(sizes, "paper", rng)`` and the input ``rng.random(n_0)`` from one
    generator ``default_rng(seed)``, so every page that quotes these numbers quotes the same.

    Used in: book/theory/backprop-hebbian.md, book/reference/errata.md.
    """
    from .initialisation import init_weights
    from .updates import gtp_updates
    rng = np.random.default_rng(seed)
    W = init_weights(list(sizes), "paper", rng=rng)
    x = rng.random(sizes[0])
    true = gtp_updates(W, x, label, tau=1.0, eta=1.0, steps=1, start="zero", acts=acts)
    out = []
    for p in range(len(W)):
        pr = printed_eq51(W, x, label, p, acts)
        out.append({"minus": float(np.max(np.abs(pr - true[p]))), "plus": float(np.max(np.abs(pr + true[p]))),
                    "cosine": float(cosine(pr, true[p]))})
    return out


def term_shares(W, X, labels, taus, acts="sigmoid"):
    """Share of the backprop term in the zero-start one-step update, per weight layer.

    For each (scalar) tau and layer l: ||backprop term|| / (||backprop term|| +
    sum_k ||activity term k||), averaged over the examples ``X`` (rows) with ``labels``;
    and the mean cosine between the whole update and backprop's.  The gradients do not
    depend on tau, so they are computed once per example and recombined for every tau.
    Returns ``(shares, cosines)``, arrays of shape ``(len(taus), L)``.  Each tau is checked
    as one tau for every hidden layer (``validation.check_tau``).
    """
    X = np.atleast_2d(X)
    L = len(W)
    taus = np.asarray([check_tau(t, L)[0] for t in np.ravel(taus)])    # tau^(L-1) too
    shares = np.zeros((len(taus), L))
    cosines = np.zeros((len(taus), L))
    for x, lab in zip(X, labels):
        dC = backprop_gradients(W, x, int(lab), acts)
        act = {k: activity_gradients(W, x, k, acts) for k in range(1, L)}
        for l in range(L):
            G = [dC[l].ravel()] + [act[k][l].ravel() for k in range(l + 1, L)]
            gram = np.array([[a @ b for b in G] for a in G])
            # coefficients of -G_j in the update: tau^(L-1-l) for C, tau^(k-1-l) for y_k
            powers = np.array([L - 1 - l] + [k - 1 - l for k in range(l + 1, L)])
            c = taus[:, None] ** powers[None, :]
            norms = c * np.sqrt(np.diag(gram))[None, :]
            shares[:, l] += norms[:, 0] / norms.sum(1)
            upd_norm = np.sqrt(np.einsum("ti,ij,tj->t", c, gram, c))
            cosines[:, l] += (c @ gram[:, 0]) / (upd_norm * np.sqrt(gram[0, 0]))
    return shares / len(X), cosines / len(X)


def cosine_grid(W, X, labels, taus, steps_list, start="zero", acts="sigmoid"):
    """Mean cosine between GTP and backprop updates of every weight layer.

    Returns an array of shape ``(len(steps_list), len(taus), L)``; an entry is ``nan`` when
    the targets diverge (a ``DivergenceError``) for some example at that setting.
    """
    X = np.atleast_2d(X)
    out = np.zeros((len(steps_list), len(taus), len(W)))
    bps = [backprop_updates(W, x, int(lab), 1.0, acts) for x, lab in zip(X, labels)]
    for s, steps in enumerate(steps_list):
        for i, tau in enumerate(taus):
            for x, lab, bp in zip(X, labels, bps):
                try:
                    with np.errstate(all="ignore"):
                        d = gtp_updates(W, x, int(lab), tau, 1.0, steps, start, acts)
                    out[s, i] += [cosine(a, b) for a, b in zip(d, bp)]
                except DivergenceError:
                    out[s, i] = np.nan
    return out / len(X)


def span_residual(W, x, label, tau, steps=1, start="zero", acts="sigmoid"):
    """How far a GTP update lies from the span of the decomposition's terms, per layer.

    For each weight layer l, the update ``gtp_updates(..., steps, start)`` is projected
    (least squares) onto span{dC/dW_l, d(1/2||y_k||^2)/dW_l for k = l+1..L-1}; the relative
    residual ||update - projection|| / ||update|| is returned (0 when eq. 14-16 / 48-51,
    corrected, describe the update with *some* coefficients; > 0 when no choice of
    coefficients can).  Returns a list of L floats.
    """
    L = len(W)
    dC = backprop_gradients(W, x, label, acts)
    act_grads = {k: activity_gradients(W, x, k, acts) for k in range(1, L)}
    d = gtp_updates(W, x, label, tau, 1.0, steps, start, acts)
    out = []
    for l in range(L):
        basis = np.stack([dC[l].ravel()] + [act_grads[k][l].ravel() for k in range(l + 1, L)], 1)
        coef, *_ = np.linalg.lstsq(basis, d[l].ravel(), rcond=None)
        out.append(float(np.linalg.norm(d[l].ravel() - basis @ coef) / np.linalg.norm(d[l])))
    return out


def feedback_channels(L, activity=True):
    """The feedback channels of the decomposition for a network of ``L`` weight layers
    (Figures 1 and 4 of the paper): one dict per term of dW_l, with

    ``weights`` l, ``source`` ("objective" or the hidden layer k whose activity feeds back),
    ``kind`` ("backprop", "local Hebbian" for k = l+1, "non-local activity" for k > l+1)
    and ``tau_power``, the power of tau multiplying it (L-1-l for backprop, k-1-l otherwise).

    Backprop channels come first, from the top weights down, then the activity channels,
    non-local before local, so that for L = 3 the order matches the paper's C1-C6
    (C1-C3 backprop, C4 non-local, C5-C6 Hebbian).  ``activity=False`` keeps only the
    backprop channels (Figure 1).
    """
    if int(L) != L or L < 1:
        raise ValueError(f"L: expected a number of weight layers >= 1, got {L}")
    L = int(L)
    out = [{"weights": l, "source": "objective", "kind": "backprop", "tau_power": L - 1 - l}
           for l in range(L - 1, -1, -1)]
    if activity:
        act = [{"weights": l, "source": k, "kind": "local Hebbian" if k == l + 1 else "non-local activity",
                "tau_power": k - 1 - l} for l in range(L) for k in range(l + 1, L)]
        out += sorted(act, key=lambda c: (c["kind"] != "non-local activity", c["weights"]))
    for j, c in enumerate(out, start=1):
        c["name"] = f"C{j}"
    return out


def channel_norms(W, X, labels, tau, acts="sigmoid"):
    """Mean Frobenius norm over examples of every channel's term (``feedback_channels``
    order, tau powers included, without eta): the size of each feedback in dW_l."""
    L = len(W)
    chans = feedback_channels(L)
    norms = np.zeros(len(chans))
    X = np.atleast_2d(X)
    for x, lab in zip(X, labels):
        terms = zero_start_terms(W, x, int(lab), tau, acts)
        for j, c in enumerate(chans):
            t = terms[c["weights"]]
            term = t["backprop"] if c["kind"] == "backprop" else t["activity"][c["source"]]
            norms[j] += np.linalg.norm(term)
    return norms / len(X)
