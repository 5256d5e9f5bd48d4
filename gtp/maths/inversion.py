"""Why targets are not computed by inverting the layers (Appendix C), and what the ODE does instead.

Inverting layer l+1 means solving f(W_l y) = yhat_{l+1} for y, i.e. the linear system

    W_l y = f^{-1}(yhat_{l+1}) = logit(yhat_{l+1})        (eq. 34)

with n_{l+1} equations and n_l unknowns.  It fails in three ways: a one-hot target has
no preimage at all (logit(0) = -inf, logit(1) = +inf); with n_{l+1} < n_l there is a whole
affine set of solutions and nothing says which is the target; with n_{l+1} > n_l there is
in general no solution.  Appendix C's per-neuron formula (eq. 35-37) averages the
single-equation solutions; read as an iteration it usually diverges.

The target ODE (eq. 3) needs no inverse: when a preimage exists, its limit is the
preimage nearest to the starting point (the flow only moves y in the row space of W_l),
and when none exists it still finds a minimiser of the local cost, whose cost is lower
than that of the logit least-squares "inverse".
"""
import numpy as np

from .dynamics import logit, target_ode
from .targets import euler_target, local_cost

__all__ = ["preimage", "nearest_preimage", "logit_least_squares", "per_neuron_inversions",
           "appendix_c_step", "appendix_c_iterate", "appendix_c_matrix", "appendix_c_rate",
           "ode_limit", "compare_targets"]


def preimage(w, yhat_next, tol=1e-10):
    """Try to invert a sigmoid layer: solve W y = logit(yhat_next) (eq. 34).

    Returns a dict with ``kind``:

    * ``"no inverse"``: some target is outside (0, 1), so logit is infinite or undefined
      (one-hot labels are always in this case);
    * ``"unique"``: exactly one solution;
    * ``"many"``: an affine set of solutions of dimension ``null_dim``;
    * ``"none"``: the system is inconsistent (more equations than the rank allows);

    plus ``z`` (the logits, when finite), ``particular`` (the least-norm least-squares
    solution), ``null_basis`` (columns spanning the solutions' directions), ``rank``
    and ``residual`` = ||W y - z|| at ``particular``.
    """
    w = np.asarray(w, dtype=float)
    yhat_next = np.asarray(yhat_next, dtype=float)
    out = dict(rank=int(np.linalg.matrix_rank(w)), n_equations=w.shape[0],
               n_unknowns=w.shape[1])
    if np.any(yhat_next <= 0) or np.any(yhat_next >= 1):
        out.update(kind="no inverse", z=None, particular=None, null_basis=None,
                   residual=np.inf, null_dim=None)
        return out
    z = logit(yhat_next)
    y = np.linalg.pinv(w) @ z
    _, s, vt = np.linalg.svd(w)
    rank = out["rank"]
    null_basis = vt[rank:].T
    residual = float(np.linalg.norm(w @ y - z))
    if residual > tol * max(1.0, np.linalg.norm(z)):
        kind = "none"
    else:
        kind = "unique" if null_basis.shape[1] == 0 else "many"
    out.update(kind=kind, z=z, particular=y, null_basis=null_basis, residual=residual,
               null_dim=null_basis.shape[1])
    return out


def nearest_preimage(w, y0, yhat_next):
    """The solution of W y = logit(yhat_next) nearest to y0: y0 + W^+ (logit(yhat) - W y0).

    This is where the target ODE started at y0 ends when a preimage exists and W has
    full row rank (dy/dt = W^T (...) keeps y - y0 in the row space of W)."""
    w = np.asarray(w, dtype=float)
    return y0 + np.linalg.pinv(w) @ (logit(yhat_next) - w @ y0)


def logit_least_squares(w, yhat_next, clip=None):
    """The least-norm least-squares "inverse" W^+ logit(yhat_next).

    With ``clip`` the targets are first clipped to [clip, 1 - clip] (the usual workaround
    for one-hot labels)."""
    t = np.asarray(yhat_next, dtype=float)
    if clip is not None:
        t = np.clip(t, clip, 1 - clip)
    return np.linalg.pinv(np.asarray(w, dtype=float)) @ logit(t)


def per_neuron_inversions(w, yhat_next, y):
    """Eq. 35: for every post-synaptic neuron i and pre-synaptic neuron k, the value of
    y_k that alone would make neuron i hit its target, the other y_j held at ``y``:

        y_k(i) = ( logit(yhat_i) - sum_{j != k} W_ij y_j ) / W_ik.

    Returns an array of shape ``(n_{l+1}, n_l)``."""
    w = np.asarray(w, dtype=float)
    z = logit(yhat_next)
    others = (w @ y)[:, None] - w * y[None, :]
    return (z[:, None] - others) / w


def appendix_c_step(w, yhat_next, y):
    """One application of eq. 37: the average over post-synaptic neurons of eq. 35,
    evaluated at the current targets ``y`` (a Jacobi-type iteration)."""
    return per_neuron_inversions(w, yhat_next, y).mean(axis=0)


def appendix_c_iterate(w, yhat_next, y0, iterations):
    """Iterate eq. 37 from y0; returns the ``iterations + 1`` iterates (non-finite
    values are kept: the iteration may diverge)."""
    path = [np.asarray(y0, dtype=float)]
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            path.append(appendix_c_step(w, yhat_next, path[-1]))
    return np.array(path)


def appendix_c_matrix(w):
    """Iteration matrix of eq. 37: y_new - y* = (I - V W / N)(y - y*), V_ki = 1 / W_ik,
    N = n_{l+1} (the number of post-synaptic neurons averaged over)."""
    w = np.asarray(w, dtype=float)
    return np.eye(w.shape[1]) - (1.0 / w).T @ w / w.shape[0]


def appendix_c_rate(w):
    """Largest |1 - mu| over the eigenvalues mu of V W / N that act on the error: eq. 37
    multiplies the error by up to this factor per iteration.

    V W / N (n_l x n_l) and W V / N (N x N) share their non-zero eigenvalues; the smaller
    product is used, so that the n_l - N zero eigenvalues of V W along the null space of W
    (directions along the set of preimages, which the iteration leaves alone) are not
    counted.  The iteration converges iff the rate is < 1.
    """
    w = np.asarray(w, dtype=float)
    v = (1.0 / w).T
    prod = v @ w if w.shape[1] <= w.shape[0] else w @ v
    mu = np.linalg.eigvals(prod / w.shape[0])
    return float(np.max(np.abs(1 - mu)))


def ode_limit(w, y0, yhat_next, t_max=1e4, act="sigmoid"):
    """Long-time solution of the target ODE (eq. 3) from y0, by the adaptive integrator."""
    return target_ode(w, np.asarray(y0, dtype=float), yhat_next, [t_max], act)[0]


def compare_targets(w, y_forward, yhat_next, tau=1.0, steps=20, t_max=1e4, clip=1e-3):
    """Local cost (eq. 4) of the targets given by each route, for one sigmoid layer.

    Returns a dict ``name -> (target, cost)`` for: the forward activation, Euler (eq. 32,
    activation start), the exact ODE (eq. 3) at ``t_max``, the logit least-squares inverse (targets clipped to
    [clip, 1 - clip] if outside (0, 1)), and ten iterations of eq. 37 (when the logits are
    finite).  The cost is always measured against the unclipped ``yhat_next``.
    """
    y_forward = np.asarray(y_forward, dtype=float)
    def cost(y):
        return float(local_cost(w, y, yhat_next)) if np.all(np.isfinite(y)) else np.inf
    out = {"forward activation": y_forward,
           f"Euler, {steps} steps": euler_target(w, y_forward, yhat_next, "sigmoid", tau, steps,
                                                 "activation"),
           f"ODE at t = {t_max:g}": ode_limit(w, y_forward, yhat_next, t_max)}
    finite = np.all((yhat_next > 0) & (yhat_next < 1))
    out["logit least squares" + ("" if finite else f" (clipped {clip:g})")] = \
        logit_least_squares(w, yhat_next, None if finite else clip)
    if finite:
        out["eq. 37, 10 iterations"] = appendix_c_iterate(w, yhat_next, y_forward, 10)[-1]
    return {k: (v, cost(v)) for k, v in out.items()}
