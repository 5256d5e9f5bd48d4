"""Fast path for training: the same rules as ``gtp.rules``, with preallocated buffers and
in-place BLAS calls.

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

Step semantics match ``gtp.gtp_step``: all targets and deltas are computed with the
weights *before* the step, then every layer is updated.  If a delta or target is not
finite, ``DivergenceError`` is raised and no weight is changed.  (An update that is finite
in the deltas but overflows float32 inside the weights is caught by the trainer's weight
check at the end of the epoch.)
"""
import math

import numpy as np
from scipy.linalg import blas

from ._checks import DivergenceError, check_steps, check_weights, per_layer
from .activations import resolve_activations
from .targets import START_POINTS

__all__ = ["FastNet", "RULES"]

RULES = ("gtp", "backprop")


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


class FastNet:
    """Trains the weight list ``W`` in place with GTP or backprop, one example or one
    mini-batch per call.

    Parameters mirror ``gtp.gtp_step``: ``acts`` (name, "paper" or list), ``tau`` (scalar
    or one per hidden layer), ``eta`` (scalar or one per weight matrix), ``steps``,
    ``start`` ("zero" | "activation"); ``rule`` is "gtp" or "backprop" (which ignores
    tau, steps and start).  ``W`` must hold C-contiguous arrays of one dtype, float32 or
    float64; they are updated in place and never replaced.
    ``batch_size`` is the largest mini-batch ``step_batch`` will receive.
    For a mini-batch, like the reference functions, the update is ``eta`` times the
    *mean* over the batch of the per-example updates.
    """

    def __init__(self, W, acts="paper", rule="gtp", tau=1.0, eta=0.01, steps=1, start="zero",
                 batch_size=1):
        check_weights(W)
        if rule not in RULES:
            raise ValueError(f"rule: expected one of {RULES}, got {rule!r}")
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
        self.WT = [w.T for w in W]          # F-ordered views for BLAS, same memory
        self.rule, self.start, self.steps = rule, start, check_steps(steps)
        self.names = resolve_activations(acts, self.L)
        self.acts = [_ACT[n] for n in self.names]
        self.taus = per_layer(tau, max(self.L - 1, 1), "tau")
        self.etas = per_layer(eta, self.L, "eta")
        self.sizes = [W[0].shape[1]] + [w.shape[0] for w in W]
        self.gemv, self.ger, self.gemm, self.dot = blas.get_blas_funcs(
            ("gemv", "ger", "gemm", "dot"), dtype=dtype)
        self._alloc_single()
        self.batch_size = 0
        if batch_size > 1:
            self._alloc_batch(batch_size)

    # ------------------------------------------------------------------ buffers
    def _alloc_single(self):
        e = lambda n: np.zeros(n, dtype=self.dtype)  # noqa: E731
        s = self.sizes
        self.z = [None] + [e(n) for n in s[1:]]       # z_l, l = 1..L
        self.y = [None] + [e(n) for n in s[1:]]       # y_l (y_0 is the input itself)
        self.fp = [None] + [e(n) for n in s[1:]]      # f'(z_l)
        self.yhat = [None] + [e(n) for n in s[1:]]    # targets; yhat_L = one-hot
        self.d = [e(n) for n in s[1:]]                # d[l] = delta into layer l+1
        self.h = [None] + [e(n) for n in s[1:-1]]     # W_l^T d_l, layer l = 1..L-1
        self.zz = [e(n) for n in s]                   # extra Euler steps: W_l point
        self.yy = [e(n) for n in s]
        self.ff = [e(n) for n in s]
        self.err = e(s[-1])

    def _alloc_batch(self, B):
        e = lambda n: np.zeros((B, n), dtype=self.dtype)  # noqa: E731
        s = self.sizes
        self.batch_size = B
        self.Z = [None] + [e(n) for n in s[1:]]
        self.Y = [None] + [e(n) for n in s[1:]]
        self.FP = [None] + [e(n) for n in s[1:]]
        self.YH = [None] + [e(n) for n in s[1:]]
        self.D = [e(n) for n in s[1:]]
        self.H = [None] + [e(n) for n in s[1:-1]]
        self.ZZ = [e(n) for n in s]
        self.YY = [e(n) for n in s]
        self.FF = [e(n) for n in s]

    # ------------------------------------------------------------------ one example
    def forward(self, x):
        """Forward pass of one example into the buffers; returns y_L (a buffer view)."""
        prev = x
        for l in range(self.L):
            self.gemv(1.0, self.WT[l], prev, 0.0, self.z[l + 1], trans=1, overwrite_y=1)
            self.acts[l](self.z[l + 1], self.y[l + 1], self.fp[l + 1])
            prev = self.y[l + 1]
        return self.y[self.L]

    def _euler_extra_steps(self, l):
        """Euler steps 2..T of eq. 32 for hidden layer l, on ``self.yhat[l]`` in place.

        Step t evaluates dC_{l+1}/dy_l at the current target:
        yhat <- yhat + tau W_l^T [(yhat_{l+1} - f(W_l yhat)) * f'(W_l yhat)].
        """
        n_next = self.sizes[l + 1]
        zz, yy, ff = self.zz[l + 1][:n_next], self.yy[l + 1][:n_next], self.ff[l + 1][:n_next]
        yh = self.yhat[l]
        for _ in range(self.steps - 1):
            self.gemv(1.0, self.WT[l], yh, 0.0, zz, trans=1, overwrite_y=1)
            self.acts[l](zz, yy, ff)
            np.subtract(self.yhat[l + 1], yy, out=yy)
            yy *= ff
            self.gemv(self.taus[l - 1], self.WT[l], yy, 1.0, yh, trans=0, overwrite_y=1)

    def deltas(self, x, label):
        """Forward pass, targets and deltas for one example with the current weights.

        Fills ``self.d[l]`` with (yhat_{l+1} - y_{l+1}) * f'(z_{l+1}) (GTP, eq. 5) or with
        -dC/dz_{l+1} (backprop).  Returns the example's output cost 1/2 ||onehot - y_L||^2
        and whether it was classified correctly (both measured before the update).
        """
        L = self.L
        yL = self.forward(x)
        err = self.err
        np.negative(yL, out=err)
        err[label] += 1.0                      # onehot - y_L
        loss = 0.5 * float(self.dot(err, err))
        correct = int(np.argmax(yL)) == label
        np.multiply(err, self.fp[L], out=self.d[L - 1])
        if self.rule == "backprop":
            for l in range(L - 1, 0, -1):      # d_{l-1} = (W_l^T d_l) * f'(z_l)
                self.gemv(1.0, self.WT[l], self.d[l], 0.0, self.d[l - 1], trans=0, overwrite_y=1)
                self.d[l - 1] *= self.fp[l]
            return loss, correct
        yhat_L = self.yhat[L]
        yhat_L[:] = 0.0
        yhat_L[label] = 1.0
        for l in range(L - 1, 0, -1):
            yh = self.yhat[l]
            # first Euler step: the gradient at the forward activation is -W_l^T d[l]
            if self.start == "zero":
                self.gemv(self.taus[l - 1], self.WT[l], self.d[l], 0.0, yh, trans=0, overwrite_y=1)
            else:
                yh[:] = self.y[l]
                self.gemv(self.taus[l - 1], self.WT[l], self.d[l], 1.0, yh, trans=0, overwrite_y=1)
            if self.steps > 1:
                self._euler_extra_steps(l)
            np.subtract(yh, self.y[l], out=self.d[l - 1])
            self.d[l - 1] *= self.fp[l]
        return loss, correct

    def step(self, x, label):
        """One learning step on one example (batch size 1), in place.

        Returns ``(loss, correct)`` of the example before the update.  Raises
        ``DivergenceError`` (weights unchanged) if a delta is not finite.
        """
        loss, correct = self.deltas(x, label)
        for l in range(self.L):
            if not math.isfinite(self.dot(self.d[l], self.d[l])):
                raise DivergenceError(
                    f"the {'target' if self.rule == 'gtp' else 'gradient'} signal into layer "
                    f"{l + 1} is not finite; the weights were left unchanged: try a smaller "
                    f"tau or eta")
        prev_y = [x] + self.y[1:]
        for l in range(self.L):                # W_l += eta_l d_l y_l^T  (W_l^T += eta y d^T)
            self.ger(self.etas[l], prev_y[l], self.d[l], a=self.WT[l], overwrite_a=1)
        return loss, correct

    # ------------------------------------------------------------------ mini-batch
    # All matrix products go through scipy's BLAS (not numpy's matmul): numpy and scipy
    # may ship different OpenBLAS builds, and with more than one thread their two thread
    # pools then compete for the cores (measured: 10x slower at 2 threads).
    def _y_wT(self, Y, l, out):
        """out = Y @ W_l^T for a batch (b, n_l) -> (b, n_{l+1}), as out^T = W_l Y^T."""
        self.gemm(1.0, self.WT[l], Y.T, 0.0, out.T, trans_a=1, overwrite_c=1)

    def _d_w(self, D, l, out, alpha=1.0, beta=0.0):
        """out = alpha D @ W_l + beta out, (b, n_{l+1}) -> (b, n_l), as out^T = W_l^T D^T."""
        self.gemm(alpha, self.WT[l], D.T, beta, out.T, overwrite_c=1)

    def step_batch(self, X, labels):
        """One learning step on a mini-batch ``X`` (b, n_0): the batch-mean update times
        eta, as the reference functions compute it.  Returns ``(mean loss, n correct)``."""
        b = X.shape[0]
        if b > self.batch_size:
            self._alloc_batch(b)
        L = self.L
        Z = [None] + [a[:b] for a in self.Z[1:]]
        Y = [X] + [a[:b] for a in self.Y[1:]]
        FP = [None] + [a[:b] for a in self.FP[1:]]
        D = [a[:b] for a in self.D]
        for l in range(L):
            self._y_wT(Y[l], l, Z[l + 1])
            self.acts[l](Z[l + 1], Y[l + 1], FP[l + 1])
        rows = np.arange(b)
        err = np.negative(Y[L])
        err[rows, labels] += 1.0
        loss = 0.5 * float(np.einsum("ij,ij->", err, err)) / b
        correct = int(np.count_nonzero(np.argmax(Y[L], axis=1) == labels))
        np.multiply(err, FP[L], out=D[L - 1])
        if self.rule == "backprop":
            for l in range(L - 1, 0, -1):
                self._d_w(D[l], l, D[l - 1])
                D[l - 1] *= FP[l]
        else:
            YH = [None] + [a[:b] for a in self.YH[1:]]
            YH[L][:] = 0.0
            YH[L][rows, labels] = 1.0
            for l in range(L - 1, 0, -1):
                yh = YH[l]
                self._d_w(D[l], l, yh)
                yh *= self.taus[l - 1]
                if self.start == "activation":
                    yh += Y[l]
                for _ in range(self.steps - 1):
                    zz, yy, ff = self.ZZ[l + 1][:b], self.YY[l + 1][:b], self.FF[l + 1][:b]
                    self._y_wT(yh, l, zz)
                    self.acts[l](zz, yy, ff)
                    np.subtract(YH[l + 1], yy, out=yy)
                    yy *= ff
                    self._d_w(yy, l, yh, alpha=self.taus[l - 1], beta=1.0)
                np.subtract(yh, Y[l], out=D[l - 1])
                D[l - 1] *= FP[l]
        for l in range(L):
            if not np.isfinite(D[l]).all():
                raise DivergenceError(
                    f"the {'target' if self.rule == 'gtp' else 'gradient'} signal into layer "
                    f"{l + 1} is not finite; the weights were left unchanged: try a smaller "
                    f"tau or eta")
        for l in range(L):                     # W_l^T += (eta/b) Y_l^T D_l
            self.gemm(self.etas[l] / b, Y[l].T, D[l].T, beta=1.0, c=self.WT[l], trans_b=1,
                      overwrite_c=1)
        return loss, correct

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
        with np.errstate(over="ignore", invalid="ignore"):
            if batch_size == 1:
                lab = labels.tolist()
                for i in order.tolist():
                    if should_stop is not None and should_stop():
                        break
                    loss, ok = self.step(X[i], lab[i])
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
                    loss, ok = self.step_batch(np.ascontiguousarray(X[idx]), labels[idx])
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
