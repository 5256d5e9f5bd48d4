"""The workshop's checkers accept right answers, name typical mistakes, and never show
the expected values."""
import re

import numpy as np
import pytest

import gtp
from gtp.book import exercises as ex

# --- reference solutions, written independently of gtp's implementations -------------

def sig(z):
    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))


def sigmoid_prime_ok(z):
    s = sig(z)
    return s * (1 - s)


def grad_ok(w, y, yhat_next):
    f = sig(w @ y)
    return -w.T @ ((yhat_next - f) * f * (1 - f))


def grad_ok_batch(w, y, yhat_next):
    f = sig(y @ w.T)
    return -((yhat_next - f) * f * (1 - f)) @ w


def euler_ok(w, y, yhat_next, tau):
    return y - tau * grad_ok(w, y, yhat_next)


def update_ok(y, z_next, y_next, yhat_next, eta):
    return eta * np.outer((yhat_next - y_next) * y_next * (1 - y_next), y)


def message(fb):
    assert not fb.passed and len(fb.messages) == 1, str(fb)
    return fb.messages[0]


# --- right answers pass ----------------------------------------------------------------

@pytest.mark.parametrize("check, fn", [
    (ex.check_sigmoid_prime, sigmoid_prime_ok),
    (ex.check_local_cost_grad, grad_ok_batch),
    (ex.check_euler_step, euler_ok),
    (ex.check_euler_step, lambda w, y, yh, tau: y - tau * gtp.local_cost_grad(w, y, yh)),
    (ex.check_gtp_update, update_ok),
])
def test_right_answers_pass(check, fn):
    fb = check(fn)
    assert fb.passed and bool(fb) and fb.cases >= 3
    assert str(fb).startswith("Correct:") and not fb.messages


@pytest.mark.parametrize("check, fn", [
    (ex.check_sigmoid_prime, gtp.sigmoid_prime),
    (ex.check_local_cost_grad, gtp.local_cost_grad),
    (ex.check_euler_step, lambda w, y, yh, tau: gtp.targets.__globals__["euler_target"](
        w, y, yh, tau=tau, start="activation")),
])
def test_gtp_own_implementation_is_not_an_answer(check, fn):
    assert "gtp's own" in message(check(fn))


def test_one_example_only_gradient_passes_with_a_batch_note():
    fb = ex.check_local_cost_grad(grad_ok)
    assert fb.passed
    assert len(fb.messages) == 1 and "mini-batch" in fb.messages[0]
    assert ex.check_local_cost_grad(grad_ok_batch).messages == []


# --- typical mistakes are named ---------------------------------------------------------

@pytest.mark.parametrize("fn, words", [
    (sig, "sigmoid itself"),
    (lambda z: z * (1 - z), "applied y(1 - y) to z"),
    (lambda z: -sigmoid_prime_ok(z), "wrong sign"),
    (lambda z: 0.5 * sigmoid_prime_ok(z), "0.5 times"),
    (lambda z: np.exp(z) / (1 + np.exp(z)) ** 2, "NaN or infinite"),
    (lambda z: float(np.sum(sigmoid_prime_ok(z))), "shape ()"),
    (lambda z: None, "forget `return`"),
    (lambda z: z.undefined_attribute, "raised AttributeError"),
    (lambda z: np.full_like(z, 0.25), "wrong at"),
    (lambda z: "a quarter", "not an array of numbers"),
])
def test_sigmoid_prime_mistakes(fn, words):
    assert words in message(ex.check_sigmoid_prime(fn))


@pytest.mark.parametrize("fn, words", [
    (lambda w, y, yh: -grad_ok(w, y, yh), "wrong sign"),
    (lambda w, y, yh: -w.T @ (yh - sig(w @ y)), "f'(z) is missing"),
    (lambda w, y, yh: 2 * grad_ok(w, y, yh), "1/2"),
    (lambda w, y, yh: (yh - sig(w @ y)) * sig(w @ y), "expected (6,)"),
    (lambda w, y, yh: 3 * grad_ok(w, y, yh), "3 times"),
])
def test_local_cost_grad_mistakes(fn, words):
    msg = message(ex.check_local_cost_grad(fn))
    assert words in msg
    if "expected (6,)" in words:
        assert "W_l transposed" in msg


@pytest.mark.parametrize("fn, words", [
    (lambda w, y, yh, tau: y + tau * grad_ok(w, y, yh), "stepped up the gradient"),
    (lambda w, y, yh, tau: -tau * grad_ok(w, y, yh), "Appendix D"),
    (lambda w, y, yh, tau: y - grad_ok(w, y, yh), "tau is missing"),
    (lambda w, y, yh, tau: y, "wrong at"),
])
def test_euler_step_mistakes(fn, words):
    assert words in message(ex.check_euler_step(fn))


@pytest.mark.parametrize("fn, words", [
    (lambda y, z, yn, yh, eta: update_ok(y, z, yn, yh, eta).T, "transpose"),
    (lambda y, z, yn, yh, eta: -update_ok(y, z, yn, yh, eta), "wrong sign"),
    (lambda y, z, yn, yh, eta: eta * np.outer(yh - yn, y), "f'(z_{l+1}) is missing"),
    (lambda y, z, yn, yh, eta: eta * np.outer((yh - yn) * sigmoid_prime_ok(yn), y),
     "applied to the activation"),
    (lambda y, z, yn, yh, eta: update_ok(y, z, yn, yh, eta) / eta, "eta is missing"),
    (lambda y, z, yn, yh, eta: eta * np.outer((yh - yn) * yn * (1 - yn), yn), "one column per"),
])
def test_gtp_update_mistakes(fn, words):
    assert words in message(ex.check_gtp_update(fn))


def test_not_a_function():
    assert "without parentheses" in message(ex.check_sigmoid_prime(0.25))


def test_feedback_is_deterministic():
    wrong = lambda w, y, yh: 1.7 * grad_ok(w, y, yh)  # noqa: E731
    assert str(ex.check_local_cost_grad(wrong)) == str(ex.check_local_cost_grad(wrong))


# --- the feedback never reveals the answer ----------------------------------------------

def _numbers(text):
    return {float(t) for t in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text)}


def test_messages_do_not_contain_expected_values():
    """No number in the feedback equals an expected output entry (to 3 significant
    digits), for wrong attempts whose outputs are close to the right ones."""
    z = np.linspace(-6, 6, 13)
    want = np.round(gtp.sigmoid_prime(z), 3)
    for fn in (lambda z: 1.01 * sigmoid_prime_ok(z), lambda z: sigmoid_prime_ok(z) + 1e-3):
        text = str(ex.check_sigmoid_prime(fn))
        assert not any(np.isclose(n, want[want != 0], rtol=1e-3).any() for n in _numbers(text))
    fb = ex.check_gtp_update(lambda y, z, yn, yh, eta: 1.5 * update_ok(y, z, yn, yh, eta))
    assert "1.5 times" in str(fb)
    assert not re.search(r"\[\s*-?\d+\.|array\(", str(fb))      # no array printed
