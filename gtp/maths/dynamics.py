"""Target dynamics: the ODE of eq. 3, its exact solution, and the stability of Euler (eq. 32).

The target of hidden layer l is the long-time limit of the gradient flow (eq. 3)

    dy/dt = -dC_{l+1}/dy,   C_{l+1}(y) = 1/2 ||yhat_{l+1} - f(W_l y)||^2   (eq. 4)

and Algorithm 1 approximates it with explicit Euler steps of size tau (eq. 32,
``gtp.maths.targets.euler_target``).  This module supplies the reference against which
those steps are judged:

* ``integrate`` / ``target_ode``: an adaptive Dormand-Prince 5(4) solution of eq. 3
  for any layer (a fine reference, error controlled by ``rtol``/``atol``);
* ``two_neuron_*``: the network of two neurons of Figure 2 (y2 = sigmoid(w y1)), for
  which the minimiser is closed-form and eq. 3 can be solved exactly by separation
  of variables;
* ``local_cost_hessian`` / ``stability_limit``: explicit Euler on a locally quadratic
  cost converges iff tau < 2 / lambda_max(Hessian) (full Hessian or Gauss-Newton part);
* ``euler_vs_exact`` / ``classify_path``: everything a figure or a slider needs, with
  non-convergence reported as data (a status string), never as an exception.
"""
import numpy as np

from .activations import get_activation, sigmoid
from .targets import START_POINTS, euler_target, local_cost, local_cost_grad
from .validation import check_steps, check_tau

__all__ = ["logit", "integrate", "target_ode", "local_cost_hessian", "stability_limit",
           "two_neuron_weights", "two_neuron_minimiser", "two_neuron_curvature",
           "two_neuron_stability_limit", "two_neuron_time", "two_neuron_exact",
           "classify_path", "euler_vs_exact", "start_comparison", "STATUSES", "HESSIANS"]

STATUSES = ("converged", "converging", "oscillating", "diverged")
HESSIANS = ("full", "gauss-newton")


def logit(p):
    """Inverse of the sigmoid (eq. 2): log(p / (1 - p)) for p in (0, 1)."""
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


# ------------------------------------------------------------------ a reference ODE solver
# Dormand & Prince (1980) 5(4) tableau (see also Butcher 2016).
_C = np.array([0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1])
_A = [[],
      [1 / 5],
      [3 / 40, 9 / 40],
      [44 / 45, -56 / 15, 32 / 9],
      [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
      [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
      [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]]
_B5 = np.array([35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0])
_B4 = np.array([5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40])


def _dopri_step(rhs, y, h):
    k = []
    for i in range(7):
        yi = y + h * sum(a * kj for a, kj in zip(_A[i], k)) if i else y
        k.append(rhs(yi))
    y5 = y + h * sum(b * kj for b, kj in zip(_B5, k))
    err = h * sum((b5 - b4) * kj for b5, b4, kj in zip(_B5, _B4, k))
    return y5, err


def integrate(rhs, y0, t_eval, rtol=1e-10, atol=1e-12, max_steps=100_000):
    """Solve dy/dt = rhs(y) from y(0) = y0 and return y at the times ``t_eval``.

    Adaptive Dormand-Prince 5(4) with local error control
    ``|err| <= atol + rtol |y|`` (steps land exactly on every requested time).
    ``t_eval`` must be non-decreasing and >= 0.  Returns an array of shape
    ``(len(t_eval),) + y0.shape``.  Raises ``ValueError`` on bad times and
    ``FloatingPointError`` if the solution stops being finite.
    """
    y = np.array(y0, dtype=float)
    ts = np.asarray(t_eval, dtype=float)
    if ts.ndim != 1 or np.any(ts < 0) or np.any(np.diff(ts) < 0):
        raise ValueError("t_eval: expected a 1-D array of non-decreasing times >= 0")
    out = np.empty((len(ts),) + y.shape)
    t, h, n = 0.0, None, 0
    for i, t_next in enumerate(ts):
        while t < t_next:
            if h is None:
                h = min(t_next, 1e-2 * (1 + np.max(np.abs(y))) / (np.max(np.abs(rhs(y))) + 1e-300))
            h = min(h, t_next - t)
            with np.errstate(all="ignore"):      # a blow-up is detected just below
                y_new, err = _dopri_step(rhs, y, h)
            scale = atol + rtol * np.maximum(np.abs(y), np.abs(y_new))
            ratio = float(np.max(np.abs(err) / scale)) if err.size else 0.0
            if not np.isfinite(ratio):
                if h < 1e-14 * max(t, 1.0):
                    raise FloatingPointError("integrate: the solution is not finite")
                h /= 10
                continue
            if ratio <= 1:
                t = t_next if h == t_next - t else t + h
                y = y_new
            h *= min(5.0, max(0.2, 0.9 * (ratio + 1e-300) ** -0.2))
            n += 1
            if n > max_steps:
                raise FloatingPointError(f"integrate: more than {max_steps} steps; "
                                         f"the problem is stiff or the tolerance too small")
        out[i] = y
    return out


def target_ode(w, y0, yhat_next, t_eval, act="sigmoid", rtol=1e-10, atol=1e-12):
    """Fine solution of the target ODE (eq. 3) for one layer, from y(0) = y0.

    ``w`` is ``W_l`` (shape ``(n_{l+1}, n_l)``), ``yhat_next`` the target of
    layer l+1; returns y(t) at ``t_eval``, shape ``(len(t_eval), n_l)``.
    """
    return integrate(lambda y: -local_cost_grad(w, y, yhat_next, act), y0, t_eval, rtol, atol)


# ------------------------------------------------------------------ stability of Euler
def local_cost_hessian(w, y, yhat_next, act="sigmoid", kind="full"):
    """Hessian of the local cost (eq. 4) with respect to y_l, for one example.

    ``kind="full"`` gives the exact Hessian

        H = W^T diag( f'(z)^2 - (yhat - f(z)) f''(z) ) W,   z = W y;

    ``kind="gauss-newton"`` drops the second term, G = W^T diag(f'(z)^2) W.  The two
    agree where the target is met (f(z) = yhat, a minimiser); elsewhere, e.g. at the
    forward activation with a one-hot yhat (where no minimiser exists), they differ.
    f'' is f'(1 - 2f) for the sigmoid and 0 for the ReLU.
    """
    if kind not in HESSIANS:
        raise ValueError(f"kind: expected one of {HESSIANS}, got {kind!r}")
    f, fp = get_activation(act)
    z = w @ np.asarray(y, dtype=float)
    diag = fp(z) ** 2
    if kind == "full" and act == "sigmoid":
        diag = diag - (yhat_next - f(z)) * fp(z) * (1 - 2 * f(z))
    return w.T @ (diag[:, None] * w)


def stability_limit(w, y, yhat_next, act="sigmoid", kind="full"):
    """Largest stable Euler step for eq. 32 at ``y``: 2 / lambda_max(H).

    Near a minimiser the cost is quadratic, C ~ 1/2 e^T H e with e = y - y*, and one
    Euler step maps e to (I - tau H) e: every component shrinks iff
    |1 - tau lambda| < 1 for each eigenvalue lambda of H, i.e. tau < 2 / lambda_max.
    Evaluated at a point that is not a minimiser (e.g. the forward activation with a
    one-hot label) it measures the local curvature there, not a convergence bound.
    ``kind`` selects the full Hessian or its Gauss-Newton part (``local_cost_hessian``).
    Returns ``inf`` when H has no positive eigenvalue (a flat cost).
    """
    lam = float(np.max(np.linalg.eigvalsh(local_cost_hessian(w, y, yhat_next, act, kind))))
    return 2.0 / lam if lam > 0 else np.inf


# ------------------------------------------------------------------ the two-neuron network
def _check_two_neuron(w, label):
    w, label = float(w), float(label)
    if not np.isfinite(w) or w == 0:
        raise ValueError(f"w: expected a finite non-zero weight, got {w}")
    if not 0 < label < 1:
        raise ValueError(f"label: the sigmoid output only reaches values strictly between 0 and 1, "
                         f"so the minimiser exists only for 0 < label < 1; got {label}")
    return w, label


def two_neuron_weights(w):
    """``W_1`` of Figure 2's network y2 = sigmoid(w y1), as a (1, 1) array."""
    return np.array([[float(w)]])


def two_neuron_minimiser(w, label):
    """Minimiser of C(y1) = 1/2 (label - sigmoid(w y1))^2: y* = logit(label) / w."""
    w, label = _check_two_neuron(w, label)
    return float(logit(label)) / w


def two_neuron_curvature(w, label):
    """C''(y*) = w^2 f'(w y*)^2 = w^2 label^2 (1 - label)^2 (the residual term vanishes at y*)."""
    w, label = _check_two_neuron(w, label)
    return (w * label * (1 - label)) ** 2


def two_neuron_stability_limit(w, label):
    """Explicit Euler (eq. 32) converges near y* iff tau < 2 / (w^2 f'(w y*)^2)."""
    return 2.0 / two_neuron_curvature(w, label)


def _antiderivative(u, a):
    """F(s) with dF/ds = 1 / ((a - s) s^2 (1 - s)^2), s = sigmoid(u), by partial fractions:

        1/((a-s) s^2 (1-s)^2) = A/(a-s) + B/s + C/s^2 + D/(1-s) + E/(1-s)^2.
    """
    A = 1 / (a * a * (1 - a) ** 2)
    B = 1 / a ** 2 + 2 / a
    C = 1 / a
    D = -1 / (1 - a) ** 2 - 2 / (1 - a)
    E = -1 / (1 - a)
    log_s = -np.logaddexp(0.0, -u)            # log sigmoid(u)
    log_1ms = -np.logaddexp(0.0, u)           # log (1 - sigmoid(u))
    inv_s = 1 + np.exp(-u)                    # 1 / s
    inv_1ms = 1 + np.exp(u)                   # 1 / (1 - s)
    return (-A * np.log(np.abs(a - sigmoid(u))) + B * log_s - C * inv_s - D * log_1ms
            + E * inv_1ms)


def two_neuron_time(y, y0, w, label):
    """Exact time at which the solution of eq. 3 started at y0 reaches y (two neurons).

    With s = sigmoid(w y), eq. 3 reads dy/dt = w (label - s) s (1 - s), so
    ds/dt = w^2 (label - s) s^2 (1 - s)^2: separable, and t(y) = (F(s) - F(s0)) / w^2.
    ``y`` must lie between y0 and the minimiser y* (the flow never crosses y*).
    """
    w, label = _check_two_neuron(w, label)
    y = np.asarray(y, dtype=float)
    return (_antiderivative(w * y, label) - _antiderivative(w * float(y0), label)) / w ** 2


def two_neuron_exact(t, y0, w, label, iterations=200):
    """Exact solution y(t) of eq. 3 for the two-neuron network, started at y(0) = y0.

    Inverts the closed-form ``two_neuron_time`` by bisection between y0 and y*
    (t(y) is monotone there); accurate to a few ulps of y.  Vectorised over ``t``.
    """
    w, label = _check_two_neuron(w, label)
    t = np.asarray(t, dtype=float)
    y_star = two_neuron_minimiser(w, label)
    lo = np.full(t.shape, float(y0))
    hi = np.full(t.shape, y_star)
    if y0 == y_star:
        return lo
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if np.all((mid == lo) | (mid == hi)):
            break
        with np.errstate(all="ignore"):
            early = two_neuron_time(mid, y0, w, label) < t
        lo, hi = np.where(early, mid, lo), np.where(early, hi, mid)
    return np.where(t <= 0, float(y0), 0.5 * (lo + hi))


# ------------------------------------------------------------------ Euler paths as data
def classify_path(errors, tol=1e-6):
    """Status of an Euler path from its signed distances to the minimiser ``errors``
    (``steps + 1`` values, the first at the starting point):

    * ``"converged"``: the last distance is below ``tol`` (absolute);
    * ``"oscillating"``: over the last steps the error keeps changing sign without
      shrinking (a 2-cycle or worse: tau is above the stability limit);
    * ``"diverged"``: a non-finite value, or the path ends farther from the minimiser
      than it started (for a sigmoid the step is bounded, so an unstable path is
      thrown onto the flat tail of the sigmoid rather than to infinity);
    * ``"converging"``: otherwise (on its way: more steps would help).
    """
    e = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(e)):
        return "diverged"
    if abs(e[-1]) < tol:
        return "converged"
    tail = e[-min(len(e), 9):]
    flips = np.mean(np.sign(tail[1:]) != np.sign(tail[:-1])) if len(tail) > 1 else 0.0
    if flips > 0.5 and abs(tail[-1]) >= 0.5 * abs(tail[0]):
        return "oscillating"
    if abs(e[-1]) > abs(e[0]):
        return "diverged"
    return "converging"


def euler_vs_exact(w=2.0, y_forward=0.1, label=0.8, tau=5.0, steps=25, start="activation",
                   n_fine=300):
    """Figure 2 as data: Euler targets (eq. 32, the library's ``euler_target``) for the
    two-neuron network y2 = sigmoid(w y1), next to the exact solution of eq. 3.

    Returns a dict with ``t`` (Euler times 0, tau, ..., steps tau), ``path`` (the
    targets, the first being the starting point), ``sq_error`` ((label - y2)^2 along
    the path), ``t_fine``/``exact``/``exact_sq_error`` (the exact ODE solution on a
    fine grid: from y(0) = y_forward for the activation start, and through the first
    Euler target (tau, yhat^1) for the zero start, whose first step is taken at the
    forward activation), ``y_star``, ``tau_limit`` (2 / C''(y*)), and ``status``
    (see ``classify_path``).  Never raises for finite positive ``tau`` up to
    ``validation.TAU_MAX`` and ``steps >= 1``; a path that leaves the finite numbers is
    cut there.
    """
    w, label = _check_two_neuron(w, label)
    steps = check_steps(steps)
    if start not in START_POINTS:
        raise ValueError(f"start: expected one of {START_POINTS}, got {start!r}")
    tau = check_tau(tau, 1)[0]
    W1 = two_neuron_weights(w)
    target = np.array([label])
    with np.errstate(all="ignore"):
        path = np.array([p[0] for p in euler_target(W1, np.array([float(y_forward)]), target,
                                                    tau=tau, steps=steps, start=start,
                                                    trajectory=True)])
        sq = (label - sigmoid(w * path)) ** 2
    t = tau * np.arange(steps + 1)
    y_star = two_neuron_minimiser(w, label)
    t0, y0 = (0.0, float(y_forward)) if start == "activation" else (tau, float(path[1]))
    if not np.isfinite(y0):                       # the first zero-start step already overflowed
        t0, y0 = 0.0, float(y_forward)
    t_fine = np.linspace(t0, max(t[-1], t0), n_fine)
    exact = two_neuron_exact(t_fine - t0, y0, w, label)
    finite = np.isfinite(path)
    status = classify_path(path - y_star, tol=1e-6 * max(1.0, abs(y_star)))
    return dict(t=t, path=path, sq_error=sq, finite=finite, t_fine=t_fine, exact=exact,
                exact_sq_error=(label - sigmoid(w * exact)) ** 2, y_star=y_star,
                tau_limit=two_neuron_stability_limit(w, label), status=status, w=w,
                label=label, tau=float(tau), steps=steps, start=start,
                y_forward=float(y_forward))


def start_comparison(w, y_forward, yhat_next, tau, steps, act="sigmoid"):
    """Local cost (eq. 4) along the Euler targets of both starting points and along the
    exact ODE (eq. 3) from both starting points, at the times t = 0, tau, ..., steps tau.

    Returns a dict of arrays of length ``steps + 1``: ``t``, ``euler_activation``,
    ``euler_zero`` (the two ``start`` options of ``euler_target``), ``ode_activation``
    (exact flow from y(0) = y_forward) and ``ode_zero`` (exact flow from y(0) = 0).
    For one example (1-D ``y_forward``).
    """
    steps = check_steps(steps)
    t = tau * np.arange(steps + 1)
    out = {"t": t}
    for start in START_POINTS:
        path = euler_target(w, y_forward, yhat_next, act, tau, steps, start, trajectory=True)
        out[f"euler_{start}"] = np.array([local_cost(w, p, yhat_next, act) for p in path])
        y0 = y_forward if start == "activation" else np.zeros_like(y_forward)
        ode = target_ode(w, y0, yhat_next, t, act, rtol=1e-9, atol=1e-12)
        out[f"ode_{start}"] = np.array([local_cost(w, p, yhat_next, act) for p in ode])
    return out
