"""Fast path for training: the rules of the registry ``gtp.engine.rules`` (the same
updates as ``gtp.maths.updates``), with preallocated buffers and in-place BLAS calls.

The reference functions (``gtp.gtp_step``, ``gtp.backprop_step``) are written for reading:
each call validates its arguments, allocates every intermediate array and forms the outer
products ``delta y^T`` as new matrices before adding them to ``W``.  For batch size 1 that
costs one extra pass over every weight matrix per example, plus many small allocations.

``FastNet`` runs the *same algorithm* (Algorithm 1 of the paper, eq. 3, 4, 5, 32 for GTP;
the chain rule on the quadratic cost for backprop) with

* buffers for z, y, f'(z), targets and deltas allocated once;
* ``?gemv`` for z = W y and W^T delta, written into those buffers;
* ``?ger`` for the rank-one update W += eta delta y^T, done in place on the weights
  (``?gemm`` with beta = 1 for a mini-batch);
* float32 weights and data (float64 is also accepted; tests use it to match the
  reference to ~1e-12).

The weights ``W[l]`` (shape ``(n_{l+1}, n_l)``, C-ordered) are seen by Fortran BLAS as
their transposes ``W[l].T`` (F-ordered, shape ``(n_l, n_{l+1})``), so no copy is made.

One algorithm serves one example and a mini-batch: ``step`` and ``step_batch`` differ only in
the buffers they hand to ``_step`` (1-D or 2-D) and in the BLAS routine the layer
operations ``forward_layer``, ``back`` and the update call (``?gemv``/``?ger`` for one
example, ``?gemm`` for a batch: one example through ``?gemm`` is 3-4 times slower, see
``benchmarks/bench_speed.py``, section 4).  A rule's kernel (``Rule.hidden_deltas``) uses only these
operations, so it too is written once.

Step semantics match ``gtp.gtp_step``: all targets and deltas are computed with the
weights *before* the step, then every layer is updated.  If a delta or target is not
finite, ``DivergenceError`` is raised and no weight is changed.  (An update that is finite
in the deltas but overflows float32 inside the weights is caught by the trainer's weight
check at the end of the epoch.)
"""
import math

import numpy as np
from scipy.linalg import blas

from ..maths.activations import resolve_activations
from ..maths.targets import START_POINTS
from ..maths.validation import (
    DivergenceError,
    check_finite_weights,
    check_input,
    check_labels,
    check_steps,
    check_tau,
    check_weights,
    per_layer,
)
from .rules import get_rule, rule_names, studied

__all__ = ["FastNet", "rule_names"]


def _sigmoid_inplace(z, y, fp):
    """y = 1 / (1 + exp(-z)) and fp = y (1 - y), written into ``y`` and ``fp``.

    exp(-z) may overflow to inf for very negative z; 1 / (1 + inf) = 0 is then the
    correct limit (the caller silences the overflow warning).
    """
    np.negative(z, out=y)
    np.exp(y, out=y)
    y += 1
    np.reciprocal(y, out=y)
    np.subtract(1, y, out=fp)
    fp *= y


def _relu_inplace(z, y, fp):
    """y = max(z, 0), fp = 1 where z > 0 else 0 (as ``gtp.relu_prime``)."""
    np.maximum(z, 0, out=y)
    np.greater(z, 0, out=fp)


_ACT = {"sigmoid": _sigmoid_inplace, "relu": _relu_inplace}


def _check_state(rule, state, dtype):
    """The state dict of a rule with state (arrays of the weights' dtype, C-contiguous)."""
    if not rule.stateful:
        return {} if state is None else state
    if state is None:
        raise ValueError(f"state: the rule {rule.name!r} carries state; pass "
                         f"state=get_rule({rule.name!r}).new_state(sizes, rng, cfg) (gtp.engine.training "
                         f"does this from the run's seed)")
    for k, v in state.items():
        if isinstance(v, np.ndarray) and (v.dtype != dtype or not v.flags.c_contiguous):
            raise ValueError(f"state[{k!r}]: expected a C-contiguous {dtype} array like the "
                             f"weights, got {v.dtype} (C-contiguous={v.flags.c_contiguous})")
    return state


class FastNet:
    """Trains the weight list ``W`` in place with a registered rule, one example or one
    mini-batch per call.

    Parameters mirror ``gtp.gtp_step``: ``acts`` (name, "paper" or list), ``tau`` (scalar
    or one per hidden layer), ``eta`` (scalar or one per weight matrix), ``steps``,
    ``start`` ("zero" | "activation"); ``rule`` is a name of ``gtp.engine.rules``
    (default: the studied rule, GTP; rules that do not use tau, steps or start ignore them).
    ``W`` must hold C-contiguous arrays of one dtype, float32 or float64; they are updated
    in place and never replaced.  ``batch_size`` is the largest mini-batch ``step_batch``
    will receive.  For a mini-batch, like the reference functions, the update is ``eta``
    times the *mean* over the batch of the per-example updates.

    Rules with state (``Rule.init_state``: feedback matrices, learned inverses) need
    ``state``, the dict from ``rule.new_state(sizes, rng, cfg)`` (arrays of the weights'
    dtype, C-contiguous; learned ones are updated in place, like ``W``); ``params`` holds
    the rule's other hyper-parameters by name (e.g. DTP's ``eta_hat``, ``eta_inv``,
    ``sigma``).  Kernels read them as ``net.state`` and ``net.params``.
    """

    def __init__(self, W, acts="paper", rule=None, tau=1.0, eta=0.01, steps=1, start="zero",
                 batch_size=1, state=None, params=None):
        check_weights(W)
        check_finite_weights(W)
        self.rule_entry = studied() if rule is None else get_rule(rule)
        self.hidden_deltas = self.rule_entry.hidden_deltas
        self.update_state = self.rule_entry.update_state
        if start not in START_POINTS:
            raise ValueError(f"start: expected one of {START_POINTS}, got {start!r}")
        dtype = W[0].dtype
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"W: expected float32 or float64 weights, got {dtype}")
        for l, w in enumerate(W):
            if w.dtype != dtype or not w.flags.c_contiguous:
                raise ValueError(f"W[{l}]: every weight matrix must be a C-contiguous {dtype} "
                                 f"array (got {w.dtype}, C-contiguous={w.flags.c_contiguous})")
        self.W, self.L, self.dtype = W, len(W), dtype
        self.state, self.params = _check_state(self.rule_entry, state, dtype), dict(params or {})
        for name in self.rule_entry.hyper:
            if name not in ("tau", "steps", "start") and name not in self.params:
                raise ValueError(f"params: the rule {self.rule_entry.name!r} needs {name!r} "
                                 f"(pass params={{{name!r}: value, ...}})")
        self.WT = [w.T for w in W]          # F-ordered views for BLAS, same memory
        self.rule, self.start, self.steps = self.rule_entry.name, start, check_steps(steps)
        self.names = resolve_activations(acts, self.L)
        self.acts = [_ACT[n] for n in self.names]
        self.etas = per_layer(eta, self.L, "eta")
        # tau's caps and the gains eta_l prod tau (validation.TAU_MAX, GAIN_MAX) bind the
        # rules that read tau; the others only need it to be a positive number
        self.taus = (check_tau(tau, self.L, self.etas) if self.rule_entry.uses("tau")
                     else per_layer(tau, max(self.L - 1, 1), "tau"))
        self.sizes = [W[0].shape[1]] + [w.shape[0] for w in W]
        self.gemv, self.ger, self.gemm, self.dot = blas.get_blas_funcs(
            ("gemv", "ger", "gemm", "dot"), dtype=dtype)
        self._one = self._alloc(None)
        self.batch_size, self._batch, self._cuts = 0, None, {}
        if batch_size > 1:
            self._batch = self._alloc(batch_size)
            self.batch_size = batch_size
        self._use(self._one)

    # ------------------------------------------------------------------ buffers
    def _alloc(self, B):
        """Buffers for one example (``B`` None, 1-D) or up to ``B`` examples (2-D)."""
        shape = (lambda n: n) if B is None else (lambda n: (B, n))
        e = lambda n: np.zeros(shape(n), dtype=self.dtype)  # noqa: E731
        s = self.sizes
        return {"z": [None] + [e(n) for n in s[1:]],       # z_l, l = 1..L
                "y": [None] + [e(n) for n in s[1:]],       # y_l (y_0 is the input itself)
                "fp": [None] + [e(n) for n in s[1:]],      # f'(z_l)
                "yhat": [None] + [e(n) for n in s[1:]],    # targets; yhat_L = one-hot
                "d": [e(n) for n in s[1:]],                # d[l] = delta into layer l+1
                "scratch": [(e(n), e(n), e(n)) for n in s],  # z, y, f' of extra Euler steps
                "err": e(s[-1])}

    def _use(self, views):
        """Point the layer operations and the buffer lists ``z``, ``y``, ``fp``, ``yhat``,
        ``d`` (one entry per layer) at the one-example or the mini-batch buffers."""
        self._views = views
        self.z, self.y, self.fp, self.yhat, self.d = (views[k] for k in ("z", "y", "fp", "yhat", "d"))
        batch = views["err"].ndim == 2
        self.forward_layer = self._forward_batch if batch else self._forward_one
        self.back = self._back_batch if batch else self._back_one
        self.apply = self._apply_batch if batch else self._apply_one
        self.outer_update = self._outer_batch if batch else self._outer_one
        self.one_hot = self._one_hot_batch if batch else self._one_hot_one

    @staticmethod
    def _one_hot_one(out, label):
        out[:] = 0.0
        out[label] = 1.0

    @staticmethod
    def _one_hot_batch(out, labels):
        out[:] = 0.0
        out[np.arange(len(labels)), labels] = 1.0

    def scratch(self, l):
        """Three work buffers of layer ``l``'s size (for extra Euler steps)."""
        return self._views["scratch"][l]

    # one example: BLAS level 2
    def _forward_one(self, l, x, out):
        """out = W_l x."""
        self.gemv(1.0, self.WT[l], x, 0.0, out, trans=1, overwrite_y=1)

    def _back_one(self, l, d, out, alpha=1.0, beta=0.0):
        """out = alpha W_l^T d + beta out."""
        self.gemv(alpha, self.WT[l], d, beta, out, trans=0, overwrite_y=1)

    def _apply_one(self, M, x, out, alpha=1.0, beta=0.0):
        """out = alpha M x + beta out, for a C-contiguous matrix ``M`` of the state."""
        self.gemv(alpha, M.T, x, beta, out, trans=1, overwrite_y=1)

    def _outer_one(self, M, alpha, d, y):
        """M += alpha d y^T in place (a learned matrix of the state)."""
        self.ger(alpha, y, d, a=M.T, overwrite_a=1)

    # a mini-batch: BLAS level 3.  All matrix products go through scipy's BLAS (not numpy's
    # matmul): numpy and scipy may ship different OpenBLAS builds, and with more than one
    # thread their two thread pools then compete for the cores (measured: 10x slower).
    def _forward_batch(self, l, Y, out):
        """out = Y W_l^T for a batch (b, n_l) -> (b, n_{l+1}), as out^T = W_l Y^T."""
        self.gemm(1.0, self.WT[l], Y.T, 0.0, out.T, trans_a=1, overwrite_c=1)

    def _back_batch(self, l, D, out, alpha=1.0, beta=0.0):
        """out = alpha D W_l + beta out, (b, n_{l+1}) -> (b, n_l), as out^T = W_l^T D^T."""
        self.gemm(alpha, self.WT[l], D.T, beta, out.T, overwrite_c=1)

    def _apply_batch(self, M, X, out, alpha=1.0, beta=0.0):
        """out = alpha X M^T + beta out for a batch (b, n) -> (b, m), ``M`` (m, n)."""
        self.gemm(alpha, M.T, X.T, beta, out.T, trans_a=1, overwrite_c=1)

    def _outer_batch(self, M, alpha, D, Y):
        """M += alpha mean_i D_i Y_i^T in place."""
        self.gemm(alpha / len(D), Y.T, D.T, beta=1.0, c=M.T, trans_b=1, overwrite_c=1)

    # ------------------------------------------------------------------ the algorithm
    def forward(self, x):
        """Forward pass of one example into the buffers; returns y_L (a buffer view)."""
        self._use(self._one)
        return self._forward(x)

    def _forward(self, x):
        z, y, fp, prev, fwd = self.z, self.y, self.fp, x, self.forward_layer
        for l in range(self.L):
            fwd(l, prev, z[l + 1])
            self.acts[l](z[l + 1], y[l + 1], fp[l + 1])
            prev = y[l + 1]
        return y[self.L]

    def deltas(self, x, label):
        """Forward pass, targets and deltas for one example with the current weights.

        Fills ``d[l]`` with the rule's delta into layer l+1 (GTP: (yhat_{l+1} -
        y_{l+1}) * f'(z_{l+1}), eq. 5; backprop: -dC/dz_{l+1}).  Returns the example's
        output cost 1/2 ||onehot - y_L||^2 and whether it was classified correctly (both
        measured before the update).
        """
        self._use(self._one)
        return self._deltas(x, label)

    def _deltas(self, X, labels):
        """Forward pass, output delta and the rule's hidden deltas, for one
        example (``X`` 1-D, ``labels`` an int) or a batch (``X`` 2-D); returns (loss, correct)
        with the loss summed over the examples."""
        L = self.L
        out = self._forward(X)
        err = self._views["err"]
        np.negative(out, out=err)
        if X.ndim == 1:
            err[labels] += 1.0                 # onehot - y_L
            loss = 0.5 * float(self.dot(err, err))
            correct = int(np.argmax(out)) == labels
        else:
            err[np.arange(len(X)), labels] += 1.0
            loss = 0.5 * float(np.einsum("ij,ij->", err, err))
            correct = int(np.count_nonzero(np.argmax(out, axis=1) == labels))
        np.multiply(err, self.fp[L], out=self.d[L - 1])
        self.hidden_deltas(self, labels)
        return loss, correct

    def _step(self, X, labels):
        """One step of the rule on the current buffers (see ``_deltas``), in place.
        Raises ``DivergenceError`` (weights unchanged) if a delta is not finite."""
        loss, correct = self._deltas(X, labels)
        d = self.d
        one = X.ndim == 1
        for l in range(self.L):
            finite = math.isfinite(self.dot(d[l], d[l])) if one else np.isfinite(d[l]).all()
            if not finite:
                raise DivergenceError(
                    f"the {self.rule_entry.signal} signal into layer {l + 1} is not finite; "
                    f"the weights were left unchanged: try a smaller tau or eta")
        if self.update_state is not None:      # learned state (e.g. inverses), same weights
            self.update_state(self, X)
        ys = [X] + self.y[1:]
        if one:                                # W_l += eta_l d_l y_l^T  (W_l^T += eta y d^T)
            for l in range(self.L):
                self.ger(self.etas[l], ys[l], d[l], a=self.WT[l], overwrite_a=1)
        else:                                  # W_l^T += (eta/b) Y_l^T D_l
            b = len(X)
            for l in range(self.L):
                self.gemm(self.etas[l] / b, ys[l].T, d[l].T, beta=1.0, c=self.WT[l],
                          trans_b=1, overwrite_c=1)
        return loss, correct

    def step(self, x, label):
        """One learning step on one example (batch size 1), in place.

        Returns ``(loss, correct)`` of the example before the update.  Raises
        ``DivergenceError`` (weights unchanged) if a delta is not finite; bad input (shape,
        NaN, a label out of range) is a ``ValueError`` naming it.
        """
        self._check(x, label, 1)
        return self._step_one(x, label)

    def _check(self, x, label, ndim):
        """Validate one call's input (once per call; ``run`` checks its arrays once)."""
        x = np.asarray(x)
        if x.ndim != ndim:
            raise ValueError(f"x: expected {'one example of shape (n_0,)' if ndim == 1 else 'a 2-D batch (b, n_0)'}"
                             f", got shape {x.shape}")
        check_input(x, self.W)
        check_labels(label, self.sizes[-1], x)

    def _step_one(self, x, label):
        if self._views is not self._one:
            self._use(self._one)
        return self._step(x, label)

    def step_batch(self, X, labels):
        """One learning step on a mini-batch ``X`` (b, n_0): the batch-mean update times
        eta, as the reference functions compute it.  Returns ``(mean loss, n correct)``."""
        self._check(X, labels, 2)
        return self._step_batch(X, labels)

    def _step_batch(self, X, labels):
        b = X.shape[0]
        if b > self.batch_size:
            self._batch, self.batch_size, self._cuts = self._alloc(b), b, {}
        if b not in self._cuts:                # views of the first b rows, made once per b
            cut = lambda a: None if a is None else a[:b]  # noqa: E731
            self._cuts[b] = {k: [tuple(map(cut, a)) if isinstance(a, tuple) else cut(a) for a in v]
                             if isinstance(v, list) else cut(v) for k, v in self._batch.items()}
        self._use(self._cuts[b])
        loss, correct = self._step(X, labels)
        return loss / b, correct

    # ------------------------------------------------------------------ epochs
    def run(self, X, labels, order, batch_size=1, should_stop=None, on_progress=None,
            progress_every=1000):
        """Train on ``X[order]`` in order, ``batch_size`` examples per step.

        ``should_stop()`` is polled before every step (a stop keeps every update done so
        far); ``on_progress(n)`` is called every ``progress_every`` examples with the
        number of examples since the last call.  Returns a dict with the number of
        examples seen, the sum of their losses and of correct predictions (each measured
        just before the example's own update).
        """
        loss_sum, n_correct, seen, since = 0.0, 0, 0, 0
        labels = np.asarray(labels)
        if len(order):                         # once per call, not per step
            used = np.unique(np.asarray(order))
            self._check(X[used[:1]], labels[used[:1]], 2)
            check_labels(labels[used], self.sizes[-1], np.broadcast_to(0.0, (len(used), 1)))
        with np.errstate(over="ignore", invalid="ignore"):
            if batch_size == 1:
                lab = labels.tolist()
                for i in order.tolist():
                    if should_stop is not None and should_stop():
                        break
                    loss, ok = self._step_one(X[i], lab[i])
                    loss_sum += loss
                    n_correct += ok
                    seen += 1
                    since += 1
                    if on_progress is not None and since >= progress_every:
                        on_progress(since)
                        since = 0
            else:
                for s in range(0, len(order), batch_size):
                    if should_stop is not None and should_stop():
                        break
                    idx = order[s:s + batch_size]
                    loss, ok = self._step_batch(np.ascontiguousarray(X[idx]), labels[idx])
                    loss_sum += loss * len(idx)
                    n_correct += ok
                    seen += len(idx)
                    since += len(idx)
                    if on_progress is not None and since >= progress_every:
                        on_progress(since)
                        since = 0
        if on_progress is not None and since:
            on_progress(since)
        return {"seen": seen, "loss_sum": loss_sum, "correct": n_correct}
