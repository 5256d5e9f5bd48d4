"""The fast path (gtp.engine.kernels.FastNet) against the reference functions gtp.gtp_step and
gtp.backprop_step: same weights after 100 steps.

Tolerances: float64, max |W_fast - W_ref| <= 1e-12 (only the order of floating-point
operations differs; the weights are O(1)); float32 fast path vs the float64 reference
started from the same (float32-representable) weights, max abs difference <= 2e-4.
"""
import numpy as np
import pytest

import gtp
from gtp.engine.kernels import FastNet

SIZES = [12, 9, 7, 5]            # two hidden layers, so targets chain through layers
N = 100


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    return rng.random((N, SIZES[0])), rng.integers(0, SIZES[-1], N)


def _reference_run(W, X, y, rule, tau, eta, steps, start, acts, batch):
    for s in range(0, len(X), batch):
        xb, yb = (X[s], y[s]) if batch == 1 else (X[s:s + batch], y[s:s + batch])
        if rule == "gtp":
            gtp.gtp_step(W, xb, yb, tau, eta, steps, start, acts)
        else:
            gtp.backprop_step(W, xb, yb, eta, acts)
    return W


def _fast_run(W, X, y, rule, tau, eta, steps, start, acts, batch):
    net = FastNet(W, acts, rule, tau, eta, steps, start, batch_size=batch)
    net.run(X, y, np.arange(len(X)), batch_size=batch)
    return W


CASES = [(rule, start, steps, acts)
         for rule, start, steps in [("gtp", "zero", 1), ("gtp", "zero", 2), ("gtp", "zero", 4),
                                    ("gtp", "activation", 1), ("gtp", "activation", 3),
                                    ("backprop", "zero", 1)]
         for acts in ["paper", "sigmoid", ["relu", "relu", "sigmoid"]]]


@pytest.mark.parametrize("batch", [1, 8])
@pytest.mark.parametrize("rule,start,steps,acts", CASES)
def test_fast_matches_reference_float64(data, rule, start, steps, acts, batch):
    X, y = data
    tau, eta = [1.5, 0.7], [0.3, 0.2, 0.1]
    W_ref = gtp.init_weights(SIZES, rng=3)
    W_fast = [w.copy() for w in W_ref]
    _reference_run(W_ref, X, y, rule, tau, eta, steps, start, acts, batch)
    _fast_run(W_fast, X, y, rule, tau, eta, steps, start, acts, batch)
    moved = max(np.max(np.abs(a - b)) for a, b in zip(W_ref, gtp.init_weights(SIZES, rng=3)))
    assert moved > 1e-3                       # the weights really changed
    for a, b in zip(W_fast, W_ref):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("rule,start,steps", [("gtp", "zero", 1), ("gtp", "activation", 2),
                                              ("backprop", "zero", 1)])
def test_fast_float32_close_to_reference(data, rule, start, steps):
    X, y = data
    W32 = gtp.init_weights(SIZES, rng=5, dtype=np.float32)
    W64 = [w.astype(np.float64) for w in W32]
    _fast_run(W32, X.astype(np.float32), y, rule, 1.0, 0.2, steps, start, "paper", 1)
    _reference_run(W64, X.astype(np.float32).astype(np.float64), y, rule, 1.0, 0.2, steps,
                   start, "paper", 1)
    assert all(w.dtype == np.float32 for w in W32)
    for a, b in zip(W32, W64):
        np.testing.assert_allclose(a, b, rtol=0, atol=2e-4)


def test_weights_updated_in_place_and_loss_reported(data):
    X, y = data
    W = gtp.init_weights(SIZES, rng=1)
    ids = [id(w) for w in W]
    net = FastNet(W, "sigmoid", "gtp", 1.0, 0.1)
    out = gtp.forward(W, X[0], "sigmoid")[1][-1]
    loss, correct = net.step(X[0], int(y[0]))
    assert [id(w) for w in W] == ids
    assert loss == pytest.approx(gtp.quadratic_cost(out, y[0]), rel=1e-12)
    assert correct == (int(np.argmax(out)) == y[0])


def test_divergence_leaves_weights_unchanged(data):
    X, y = data
    W = gtp.init_weights(SIZES, rng=1)
    W[-1] *= 1e300                           # a linear (relu) output of ~1e300: its delta
    before = [w.copy() for w in W]           # times W[-1] overflows (tau stays a sane 1)
    net = FastNet(W, "relu", "gtp", 1.0, 1.0)
    with np.errstate(all="ignore"), pytest.raises(gtp.DivergenceError, match="not finite"):
        net.step(X[0], int(y[0]))
    for a, b in zip(W, before):
        np.testing.assert_array_equal(a, b)


def test_stop_polled_before_every_step(data):
    X, y = data
    W = gtp.init_weights(SIZES, rng=1)
    net = FastNet(W, "paper", "gtp", 1.0, 0.1)
    calls = []
    stats = net.run(X, y, np.arange(N), should_stop=lambda: len(calls) >= 7 or calls.append(1))
    assert stats["seen"] == 7


@pytest.mark.parametrize("bad,match", [
    (lambda W: [W[0].astype(np.float32), W[1], W[2]], "C-contiguous"),
    (lambda W: [np.asfortranarray(W[0]), W[1], W[2]], "C-contiguous"),
    (lambda W: [w.astype(np.int64) for w in W], "float32 or float64"),
])
def test_rejects_unusable_weights(bad, match):
    W = gtp.init_weights(SIZES, rng=1)
    with pytest.raises(ValueError, match=match):
        FastNet(bad(W), "paper")


@pytest.mark.parametrize("kw,match", [({"rule": "hebb"}, "rule"), ({"start": "one"}, "start"),
                                      ({"steps": 0}, "steps"), ({"tau": [1.0]}, "tau"),
                                      ({"eta": -1.0}, "eta")])
def test_rejects_bad_hyper_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        FastNet(gtp.init_weights(SIZES, rng=1), "paper", **kw)
