"""Self-checking exercises: the reader writes a function, a checker says what is wrong.

Each ``check_*`` function calls the reader's function on a few random cases, compares
the result with ``gtp``'s own implementation, and returns a :class:`Feedback` that
names the mistake in words (a wrong shape, a flipped sign, a constant factor, a
forgotten term, an overflow) **without ever showing the expected values**.  A function
that is, or calls, ``gtp``'s own implementation of the exercise fails (``_forbidden``).  The cases
are drawn from a fixed seed, so the same attempt always gets the same feedback.

=========================  ==============================================  ===========
checker                    the reader writes                               paper
=========================  ==============================================  ===========
``check_sigmoid_prime``    ``sigmoid_prime(z)``, the derivative f'(z)      eq. 2
``check_local_cost_grad``  ``local_cost_grad(w, y, yhat_next)``, dC/dy     eq. 3-4
``check_euler_step``       ``euler_step(w, y, yhat_next, tau)``            eq. 32
``check_gtp_update``       ``gtp_update(y, z_next, y_next, yhat_next, eta)``  eq. 5
``check_fa_delta``         ``fa_delta(B, d_next, z)``, feedback alignment  Lillicrap 2016
=========================  ==============================================  ===========

All use the sigmoid activation.  Used by the book's workshop chapter (the first four) and
the part "GTP among its relatives" (``check_fa_delta``).
"""
import textwrap
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from ..maths.activations import sigmoid, sigmoid_prime
from ..maths.network import forward
from ..maths.targets import euler_target, local_cost_grad, targets
from ..maths.updates import gtp_updates, local_deltas

__all__ = ["Feedback", "check_sigmoid_prime", "check_local_cost_grad", "check_euler_step",
           "check_gtp_update", "check_fa_delta"]

RTOL, ATOL = 1e-7, 1e-10          # agreement needed with gtp (float64 round-off only)
SEED = 20181022                   # fixed cases: the same attempt gets the same feedback
WIDTH = 78                        # feedback lines fit a notebook output without scrolling


@dataclass
class Feedback:
    """What a checker found: ``passed`` and the messages to show the reader.

    ``bool(feedback)`` is ``passed``; printing it (or leaving it as the last line of a
    notebook cell) shows the verdict and the messages.
    """
    exercise: str
    passed: bool
    messages: list = field(default_factory=list)
    cases: int = 0

    def __bool__(self):
        return self.passed

    def __str__(self):
        if self.passed:
            head = f"Correct: {self.exercise} agrees with gtp on all {self.cases} random cases."
        else:
            head = f"Not yet: {self.exercise}."
        lines = [head] + [textwrap.fill(m, WIDTH, initial_indent="  - ",
                                         subsequent_indent="    ") for m in self.messages]
        return "\n".join(lines)

    __repr__ = __str__


class _Mistake(Exception):
    """Raised inside a checker with the message for the reader."""


class _Forwarded(BaseException):
    """Raised when the reader's function reaches one of gtp's own implementations (a
    BaseException, so that the reader's ``except Exception`` cannot swallow it)."""


def _tripwire(*args, **kwargs):
    # runs with the globals of the module it replaces a function of: no names of ours
    raise __import__("gtp.book.exercises", fromlist=["_Forwarded"])._Forwarded()


@contextmanager
def _forbidden(functions):
    """While the reader's function runs, every function of ``functions`` (gtp's own
    implementations of the exercise) raises ``_Forwarded`` instead, however it is reached:
    by name, through ``gtp.``, an alias, a local import or a helper of the reader's."""
    saved = [(f, f.__code__) for f in functions if hasattr(f, "__code__")]
    try:
        for f, _ in saved:
            f.__code__ = _tripwire.__code__
        yield
    finally:
        for f, code in saved:
            f.__code__ = code


def _call(fn, args, what, forbidden=(), many=False):
    """Call the reader's function; turn exceptions and odd results into a message.

    ``forbidden``: gtp's own implementations of the exercise; a function that is one of them
    or calls one fails.  ``many``: the result is a list of arrays (one per layer), ``None``
    entries allowed."""
    if not callable(fn):
        raise _Mistake(f"expected a function, got {type(fn).__name__}: pass the function "
                       f"itself, without parentheses, e.g. check(my_function)")
    names = ", ".join(f"gtp's own {f.__name__}" for f in forbidden)
    forwarding = (f"your function calls {names}: the exercise is to write it yourself, with "
                  f"NumPy (and gtp.sigmoid where it helps).")
    if any(fn is f for f in forbidden):
        raise _Mistake(f"this is {names}: the exercise is to write it yourself.")
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), _forbidden(forbidden):
            warnings.simplefilter("ignore")
            out = fn(*args)
    except _Forwarded:
        raise _Mistake(forwarding) from None
    except Exception as e:  # the reader's code may fail in any way: report it
        raise _Mistake(f"calling your function {what} raised {type(e).__name__}: {e}") from None
    if out is None:
        raise _Mistake("your function returned None: did you forget `return`?")
    if many:
        if not isinstance(out, (list, tuple)):
            raise _Mistake(f"your function returned a {type(out).__name__}; it should return a "
                           f"list with one array per layer.")
        try:
            return [None if o is None else np.asarray(o, dtype=float) for o in out]
        except (TypeError, ValueError):
            raise _Mistake("your function returned a list whose entries are not arrays of "
                           "numbers") from None
    try:
        out = np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        raise _Mistake(f"your function returned a {type(out).__name__}, not an array of "
                       f"numbers") from None
    return out


def _close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=RTOL, atol=ATOL)


def _compare(got, want, mistakes, shape_hint, case):
    """Raise ``_Mistake`` describing how ``got`` differs from ``want``.

    ``mistakes`` is a list of ``(value, message)``: results of known slips computed on
    the same case, checked in order.  The messages never contain ``want``.
    """
    if got.shape != want.shape:
        if got.ndim == 2 and got.shape == want.T.shape:
            raise _Mistake(f"{case}: your result has shape {got.shape}, the transpose of the "
                           f"right shape {want.shape}. {shape_hint}")
        raise _Mistake(f"{case}: your result has shape {got.shape}, expected {want.shape}. "
                       f"{shape_hint}")
    if not np.all(np.isfinite(got)):
        raise _Mistake(f"{case}: your result contains NaN or infinite values (at "
                       f"{int(np.sum(~np.isfinite(got)))} of {got.size} entries).")
    if _close(got, want):
        return
    for value, message in mistakes:
        if value.shape == got.shape and _close(got, value):
            raise _Mistake(f"{case}: {message}")
    if _close(got, -want):
        raise _Mistake(f"{case}: right size, wrong sign: every entry has the opposite sign.")
    w2 = float(np.sum(want * want))
    if w2 > 0:
        c = float(np.sum(got * want)) / w2
        if abs(c - 1) > 1e-6 and _close(got, c * want):
            raise _Mistake(f"{case}: right direction, wrong size: your result is {c:.4g} times "
                           f"the right one (a missing or extra constant factor).")
    bad = ~np.isclose(got, want, rtol=RTOL, atol=ATOL)
    rel = float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), ATOL))
    raise _Mistake(f"{case}: wrong at {int(bad.sum())} of {got.size} entries (largest error "
                   f"{rel:.2g} relative to the largest entry).")


def _run(exercise, cases):
    """Run ``cases`` (callables raising ``_Mistake``); stop at the first failing one."""
    for n, case in enumerate(cases, 1):
        try:
            case()
        except _Mistake as m:
            return Feedback(exercise, False, [str(m)], n)
    return Feedback(exercise, True, [], len(cases))


# --- eq. 2: the derivative of the sigmoid --------------------------------------------

def check_sigmoid_prime(fn):
    """Check ``fn(z)``, the derivative of the sigmoid f'(z) = f(z)(1 - f(z)) (eq. 2),
    elementwise for an array ``z`` of any shape, finite for large |z|."""
    rng = np.random.default_rng(SEED)
    inputs = [("for z = 13 points from -6 to 6", np.linspace(-6, 6, 13)),
              ("for a 2-D array z of shape (3, 4)", rng.normal(0, 3, (3, 4))),
              ("for large |z| (z = -800, -40, 40, 800)", np.array([-800.0, -40, 40, 800]))]

    def case(label, z):
        def run():
            got = _call(fn, (z.copy(),), label, forbidden=(sigmoid_prime,))
            s = sigmoid(z)
            mistakes = [
                (s, "that is f(z), the sigmoid itself, not its derivative."),
                (z * (1 - z), "you applied y(1 - y) to z itself: the formula holds for "
                              "y = f(z), the sigmoid of z."),
                (1 - s, "only one of the two factors: the derivative is a product."),
                (s * (1 + s), "check the sign inside the second factor."),
            ]
            _compare(got, sigmoid_prime(z), mistakes,
                     "The derivative is elementwise: one value per entry of z.", label)
        return run

    return _run("sigmoid_prime", [case(*c) for c in inputs])


# --- eq. 3-4: gradient of the local cost with respect to the layer below -------------

def _layer_case(rng, n_below, n_above, batch=None):
    """Random weights ``w`` (n_above, n_below), activations ``y`` in (0, 1) and a target
    ``yhat_next`` in (0, 1) for the layer above (one example, or ``batch`` rows)."""
    w = rng.normal(0, 1.2, (n_above, n_below))
    lead = () if batch is None else (batch,)
    y = rng.uniform(0.05, 0.95, lead + (n_below,))
    yhat_next = rng.uniform(0, 1, lead + (n_above,))
    return w, y, yhat_next


def check_local_cost_grad(fn):
    """Check ``fn(w, y, yhat_next)``: dC_{l+1}/dy_l for the sigmoid layer above, with
    ``w`` of shape (n_{l+1}, n_l), ``y`` of shape (n_l,), ``yhat_next`` (n_{l+1},)
    (eq. 3-4).  A correct function is also tried on a mini-batch (a note, not a fail)."""
    rng = np.random.default_rng(SEED + 1)
    shapes = [(6, 4), (3, 5), (7, 7)]

    def case(n_below, n_above):
        label = f"for W of shape ({n_above}, {n_below})"

        def run():
            w, y, yh = _layer_case(rng, n_below, n_above)
            got = _call(fn, (w.copy(), y.copy(), yh.copy()), label, forbidden=(local_cost_grad,))
            f = sigmoid(w @ y)
            mistakes = [
                (-(yh - f) @ w, "the factor f'(z) is missing: z = W y passes through the "
                                "sigmoid, so the chain rule multiplies by its derivative."),
                (-(yh - f) * sigmoid_prime(w @ y) @ w * 2,
                 "twice too large: remember the 1/2 in front of the quadratic cost."),
            ]
            hint = (f"The gradient is taken with respect to y_l, so it has one entry per "
                    f"neuron of the layer below ({n_below}), not per neuron of the layer above "
                    f"({n_above}): W_l maps y_l up, so going back down uses W_l transposed.")
            _compare(got, local_cost_grad(w, y, yh), mistakes, hint, label)
        return run

    fb = _run("local_cost_grad", [case(*s) for s in shapes])
    if fb.passed:
        w, y, yh = _layer_case(rng, 5, 3, batch=4)
        try:
            got = _call(fn, (w, y, yh), "on a mini-batch", forbidden=(local_cost_grad,))
            ok = got.shape == y.shape and _close(got, local_cost_grad(w, y, yh))
        except _Mistake:
            ok = False
        if not ok:
            fb.messages.append("Bonus: it does not yet work for a mini-batch (y of shape "
                               "(batch, n_l), one example per row), as gtp's functions do; "
                               "`y @ w.T` instead of `w @ y` is one way.")
    return fb


# --- eq. 32: one explicit Euler step of the target ODE --------------------------------

def check_euler_step(fn):
    """Check ``fn(w, y, yhat_next, tau)``: one explicit Euler step of eq. 3 started at the
    forward activation, y - tau dC_{l+1}/dy_l (eq. 32; ``start="activation"`` in gtp)."""
    rng = np.random.default_rng(SEED + 2)
    params = [(6, 4, 0.5), (4, 4, 2.0), (3, 6, 0.1)]

    def case(n_below, n_above, tau):
        label = f"for W of shape ({n_above}, {n_below}) and tau = {tau}"

        def run():
            w, y, yh = _layer_case(rng, n_below, n_above)
            got = _call(fn, (w.copy(), y.copy(), yh.copy(), tau), label,
                        forbidden=(euler_target, targets))
            g = local_cost_grad(w, y, yh)
            mistakes = [
                (y + tau * g, "you stepped up the gradient, towards a larger cost: an Euler "
                              "step of dy/dt = -dC/dy goes against the gradient."),
                (-tau * g, "that is the step from zero (the authors' code, Appendix D); this "
                           "exercise starts from the forward activation y."),
                (y - g, "tau is missing: it is the size of the step."),
                (y - tau * tau * g, "tau enters once, not squared."),
                (-g, "both y and tau are missing."),
            ]
            want = euler_target(w, y, yh, "sigmoid", tau=tau, steps=1, start="activation")
            _compare(got, want, mistakes, "The target of layer l has one entry per neuron "
                                          "of layer l, like y.", label)
        return run

    return _run("euler_step", [case(*p) for p in params])


# --- eq. 5: the GTP weight update of one layer ----------------------------------------

def check_gtp_update(fn):
    """Check ``fn(y, z_next, y_next, yhat_next, eta)``: the update of W_l by eq. 5,
    eta [(yhat_{l+1} - y_{l+1}) * f'(z_{l+1})] y_l^T, for one example, sigmoid layers.

    The inputs come from a random network run through gtp's ``forward`` and
    ``targets``, and the answer is gtp's own ``gtp_updates`` for that layer."""
    rng = np.random.default_rng(SEED + 3)
    nets = [([6, 5, 4], 0.5, 1.0), ([4, 7, 3], 0.05, 3.0), ([5, 5, 5, 2], 0.2, 0.5)]

    def case(sizes, eta, tau):
        def run():
            W = [rng.normal(0, 1.0, (sizes[l + 1], sizes[l])) for l in range(len(sizes) - 1)]
            x, label = rng.uniform(0, 1, sizes[0]), int(rng.integers(sizes[-1]))
            zs, ys = forward(W, x)
            yhat = targets(W, zs, ys, label, tau=tau)
            want_all = gtp_updates(W, x, label, tau=tau, eta=eta)
            for l in range(len(W)):
                where = (f"for W[{l}] of shape {W[l].shape} in a {'-'.join(map(str, sizes))} "
                         f"network, eta = {eta}")
                args = (ys[l].copy(), zs[l + 1].copy(), ys[l + 1].copy(), yhat[l + 1].copy(), eta)
                got = _call(fn, args, where, forbidden=(gtp_updates, local_deltas))
                delta = (yhat[l + 1] - ys[l + 1]) * sigmoid_prime(zs[l + 1])
                mistakes = [
                    (eta * np.outer(yhat[l + 1] - ys[l + 1], ys[l]),
                     "the factor f'(z_{l+1}) is missing from the local error."),
                    (eta * np.outer((yhat[l + 1] - ys[l + 1]) * sigmoid_prime(ys[l + 1]), ys[l]),
                     "f' was applied to the activation y_{l+1}; it takes the pre-activation "
                     "z_{l+1} (or use y(1 - y) with y = y_{l+1})."),
                    (np.outer(delta, ys[l]), "eta is missing."),
                ]
                hint = (f"W[{l}] maps layer {l} ({sizes[l]} neurons) to layer {l + 1} "
                        f"({sizes[l + 1]} neurons), so its update has one row per neuron of "
                        f"layer {l + 1} and one column per neuron of layer {l}.")
                _compare(got, want_all[l], mistakes, hint, where)
        return run

    return _run("gtp_update", [case(*n) for n in nets])


# --- feedback alignment (Lillicrap et al. 2016): one hidden error signal ---------------

def check_fa_delta(fn):
    """Check ``fn(B, d_next, z)``: feedback alignment's error signal of a sigmoid hidden
    layer, (B d_next) * f'(z), with the fixed random feedback matrix ``B`` of shape
    (n_l, n_{l+1}) in place of backprop's W_l^T, the signal of the layer above ``d_next``
    (n_{l+1},) and the layer's pre-activation ``z`` (n_l,).

    The cases come from random networks run through gtp's ``forward``; the answer is the
    corresponding signal of ``gtp.maths.relatives_maths.fa_deltas``."""
    from ..maths.relatives_maths import fa_deltas
    rng = np.random.default_rng(SEED + 4)
    nets = [[6, 5, 4], [4, 7, 3], [5, 6, 5, 2]]

    def case(sizes):
        def run():
            W = [rng.normal(0, 1.0, (sizes[l + 1], sizes[l])) for l in range(len(sizes) - 1)]
            B = {l: rng.normal(0, 1.0, (sizes[l], sizes[l + 1])) for l in range(1, len(W))}
            x, label = rng.uniform(0, 1, sizes[0]), int(rng.integers(sizes[-1]))
            zs, ys = forward(W, x)
            d = fa_deltas(W, zs, ys, label, B)
            for l in range(len(W) - 1, 0, -1):
                where = (f"for hidden layer {l} ({sizes[l]} neurons) of a "
                         f"{'-'.join(map(str, sizes))} network")
                got = _call(fn, (B[l].copy(), d[l].copy(), zs[l].copy()), where,
                            forbidden=(fa_deltas,))
                mistakes = [
                    (W[l].T @ d[l] * sigmoid_prime(zs[l]),
                     "that is backprop's signal: W_l^T is replaced by the fixed matrix B."),
                    (B[l] @ d[l], "the factor f'(z) is missing."),
                    (B[l] @ d[l] * sigmoid_prime(sigmoid(zs[l])),
                     "f' was applied to the activation f(z); it takes the pre-activation z."),
                ]
                hint = (f"The signal of hidden layer {l} has one entry per neuron of that "
                        f"layer ({sizes[l]}); B has shape {B[l].shape}, so B @ d_next has it.")
                _compare(got, d[l - 1], mistakes, hint, where)
        return run

    return _run("fa_delta", [case(n) for n in nets])
