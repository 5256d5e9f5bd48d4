"""The checkers of gtp.book.exercise_checks (and the forwarding rule of gtp.book.exercises):
a right answer passes, each slip gets its own message, a submission that only calls gtp's
own implementation fails, and no message shows an expected value."""
import numpy as np
import pytest

import gtp
from gtp.book import exercise_checks as ec
from gtp.book import exercises as ex
from gtp.maths import initialisation, network, relatives_maths, targets, updates


def sig(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def forward(W, x):
    ys = [x]
    for w in W:
        ys.append(sig(ys[-1] @ w.T))
    return ys


def backprop_deltas(W, zs, ys, label):
    L = len(W)
    d = [None] * L
    d[L - 1] = (np.eye(len(ys[L]))[label] - ys[L]) * ys[L] * (1 - ys[L])
    for l in range(L - 1, 0, -1):
        d[l - 1] = (W[l].T @ d[l]) * ys[l] * (1 - ys[l])
    return d


def tgt(W, zs, ys, label, tau):
    L = len(W)
    yhat = [None] * (L + 1)
    yhat[L] = np.eye(W[-1].shape[0])[label]
    for l in range(L - 1, 0, -1):
        f = sig(W[l] @ ys[l])
        yhat[l] = -tau * (W[l].T @ ((f - yhat[l + 1]) * f * (1 - f)))
    return yhat


def angle(a, b):
    a, b = np.ravel(a), np.ravel(b)
    return float(np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1))))


RIGHT = {
    ec.check_sigmoid: sig,
    ec.check_forward: forward,
    ec.check_local_cost: lambda w, y, yh: 0.5 * np.sum((yh - sig(w @ y)) ** 2),
    ec.check_targets: tgt,
    ec.check_backprop_deltas: backprop_deltas,
    ec.check_one_hot: lambda label, n: np.eye(n)[label],
    ec.check_quadratic_cost: lambda yL, label: 0.5 * np.mean(
        np.sum((np.eye(np.shape(yL)[-1])[label] - yL) ** 2, axis=-1)),
    ec.check_accuracy: lambda W, X, labels: np.mean(np.argmax(forward(W, X)[-1], axis=1) == labels),
    ec.check_relu_prime: lambda z: (np.asarray(z) > 0).astype(float),
    ec.check_uncertainty: lambda y: np.where((y > 0) & (y < 1), 6 * y * (1 - y), 0.0),
    ec.check_preactivation_var: lambda n, vw, m, v: n * vw * (m * m + v),
    ec.check_weight_var: lambda n, m, vi, vo: vo / (n / 16 * (m * m + vi)),
    ec.check_dfa_delta: lambda B, e, z: (B @ e) * sig(z) * (1 - sig(z)),
    ec.check_angle: angle,
    ec.check_dtp_target: lambda y, yn, yhn, g: y + g(yhn) - g(yn),
}
LIBRARY = {
    ec.check_sigmoid: gtp.sigmoid,
    ec.check_forward: lambda W, x: network.forward(W, x)[1],
    ec.check_local_cost: targets.local_cost,
    ec.check_targets: targets.targets,
    ec.check_backprop_deltas: updates.backprop_deltas,
    ec.check_one_hot: network.one_hot,
    ec.check_quadratic_cost: network.quadratic_cost,
    ec.check_accuracy: network.accuracy,
    ec.check_relu_prime: gtp.relu_prime,
    ec.check_uncertainty: initialisation.uncertainty,
    ec.check_preactivation_var: initialisation.preactivation_var,
    ec.check_weight_var: lambda n, m, vi, vo: initialisation.weight_var(n, m, vi, vo),
    ec.check_dfa_delta: None,
    ec.check_angle: relatives_maths.angle,
    ec.check_dtp_target: lambda y, yn, yhn, g: relatives_maths.propagate_targets(
        [None, y, yn, None], yhn, {1: g})[1],
}


def test_every_checker_is_listed():
    assert set(RIGHT) == set(LIBRARY) == {getattr(ec, n) for n in ec.__all__}
    assert len(ec.__all__) + len(ex.__all__) - 1 >= 20        # Feedback is not a checker


@pytest.mark.parametrize("check", list(RIGHT), ids=lambda c: c.__name__)
def test_a_right_answer_passes(check):
    fb = check(RIGHT[check])
    assert fb.passed, str(fb)
    assert str(fb).startswith("Correct")


@pytest.mark.parametrize("check", [c for c in LIBRARY if LIBRARY[c] is not None],
                         ids=lambda c: c.__name__)
def test_forwarding_to_the_library_fails(check):
    fb = check(LIBRARY[check])
    assert not fb.passed
    assert "gtp's own" in fb.messages[0], fb.messages


@pytest.mark.parametrize("check, attempt, words", [
    (ec.check_sigmoid, lambda z: 1 / (1 + np.exp(np.asarray(z, float))), "sign of the exponent"),
    (ec.check_forward, lambda W, x: forward(W, x)[1:], "expected"),
    (ec.check_local_cost, lambda w, y, yh: np.sum((yh - sig(w @ y)) ** 2), "1/2 is missing"),
    (ec.check_local_cost, lambda w, y, yh: 0.5 * np.sum((yh - w @ y) ** 2), "sigmoid is missing"),
    (ec.check_quadratic_cost, lambda yL, label: 0.5 * np.sum(
        (np.eye(np.shape(yL)[-1])[label] - yL) ** 2), "mean over the examples"),
    (ec.check_accuracy, lambda W, X, labels: 100 * np.mean(
        np.argmax(forward(W, X)[-1], axis=1) == labels), "not a percentage"),
    (ec.check_relu_prime, lambda z: np.maximum(z, 0), "ReLU itself"),
    (ec.check_uncertainty, lambda y: 6 * y * (1 - y), "zero"),
    (ec.check_preactivation_var, lambda n, vw, m, v: n * vw * (m + v), "misprint"),
    (ec.check_weight_var, lambda n, m, vi, vo: vo / (n / 16 * (m + vi)), "squared"),
    (ec.check_dfa_delta, lambda B, e, z: B @ e, "f'(z) is missing"),
    (ec.check_angle, lambda a, b: np.radians(angle(a, b)), "not radians"),
    (ec.check_dtp_target, lambda y, yn, yhn, g: g(yhn), "plain target propagation"),
    (ec.check_backprop_deltas, lambda W, zs, ys, label: [
        d / (y * (1 - y)) if k < len(W) - 1 else d
        for k, (d, y) in enumerate(zip(backprop_deltas(W, zs, ys, label), ys[1:]))], "f'(z)"),
])
def test_each_slip_gets_its_message(check, attempt, words):
    fb = check(attempt)
    assert not fb.passed and words in fb.messages[0], fb.messages


def test_forwarding_is_caught_however_it_is_written():
    def via_module(w, y, yhat_next):
        return gtp.local_cost_grad(w, y, yhat_next)

    def via_local_import(w, y, yhat_next):
        from gtp.maths.targets import local_cost_grad as g
        return g(w, y, yhat_next)

    def via_helper(w, y, yhat_next):
        return via_module(w, y, yhat_next) * 1.0

    alias = targets.local_cost_grad
    for attempt in (gtp.local_cost_grad, via_module, via_local_import, via_helper,
                    lambda w, y, yh: alias(w, y, yh)):
        fb = ex.check_local_cost_grad(attempt)
        assert not fb.passed and "gtp's own" in fb.messages[0], fb.messages
    # the library works again afterwards
    w, y, yh = np.ones((2, 3)), np.ones(3) / 2, np.zeros(2)
    assert np.all(np.isfinite(targets.local_cost_grad(w, y, yh)))


def test_messages_never_show_the_expected_values():
    fb = ec.check_preactivation_var(lambda n, vw, m, v: n * vw * (m + v))
    want = initialisation.preactivation_var(10, 0.1, 0.5, 0.05)
    assert f"{want:.4g}" not in str(fb)
