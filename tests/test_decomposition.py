"""gtp.maths.decomposition: GTP = backprop + activity (anti-Hebbian) terms; the printed eq. 14, 51."""
import numpy as np
import pytest

import gtp
from gtp.maths import decomposition as D

SIZES = [[6, 5, 3], [6, 5, 4, 3], [7, 6, 5, 4, 3, 2]]


def net(sizes, seed=0):
    rng = np.random.default_rng(seed)
    W = [rng.normal(0, 1 / np.sqrt(a), (b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    return W, rng.random(sizes[0])


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("acts", ["sigmoid", "paper"])
def test_corrected_decomposition_is_exact(sizes, acts):
    W, x = net(sizes, len(sizes))
    taus = list(np.random.default_rng(1).uniform(0.5, 3, len(W) - 1))
    d = gtp.gtp_updates(W, x, 1, tau=taus, eta=0.3, steps=1, start="zero", acts=acts)
    dd = D.decomposed_update(W, x, 1, taus, 0.3, acts)
    for a, b in zip(d, dd):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_activity_gradient_by_finite_differences():
    W, x = net([6, 5, 4, 3], 3)
    k, l, h = 2, 0, 1e-6
    g = D.activity_gradients(W, x, k)[l]
    def A():
        return 0.5 * np.sum(gtp.forward(W, x)[1][k] ** 2)
    num = np.zeros_like(W[l])
    for idx in np.ndindex(W[l].shape):
        old = W[l][idx]
        W[l][idx] = old + h
        ap = A()
        W[l][idx] = old - h
        am = A()
        W[l][idx] = old
        num[idx] = (ap - am) / (2 * h)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-10)
    assert np.all(D.activity_gradients(W, x, k)[2] == 0)          # layers at or above k


def test_local_term_is_the_anti_hebbian_product():
    W, x = net([6, 5, 4, 3], 4)
    zs, ys = gtp.forward(W, x)
    terms = D.zero_start_terms(W, x, 2, 2.0)
    hebb = np.outer(ys[2] * gtp.sigmoid_prime(zs[2]), ys[1])
    np.testing.assert_allclose(terms[1]["activity"][2], -hebb, rtol=1e-14)
    np.testing.assert_allclose(terms[0]["activity"][1],
                               -np.outer(ys[1] * gtp.sigmoid_prime(zs[1]), ys[0]), rtol=1e-14)


@pytest.mark.parametrize("sizes", SIZES)
def test_printed_eq14_is_minus_the_true_update(sizes):
    W, x = net(sizes, 5)
    L = len(W)
    true = gtp.gtp_updates(W, x, 0, tau=2.5, eta=0.2, steps=1, start="zero")[L - 2]
    np.testing.assert_allclose(D.printed_eq14(W, x, 0, 2.5, 0.2), -true, rtol=0, atol=1e-12)


@pytest.mark.parametrize("sizes", SIZES)
def test_printed_eq51_holds_only_for_the_output_layer(sizes):
    W, x = net(sizes, 6)
    L = len(W)
    true = gtp.gtp_updates(W, x, 1, tau=1.0, eta=1.0, steps=1, start="zero")
    for p in range(L):
        printed = D.printed_eq51(W, x, 1, p)
        err_plus = np.max(np.abs(printed - true[p]))
        err_minus = np.max(np.abs(printed + true[p]))
        if p == L - 1:
            assert err_plus < 1e-12                 # output layer: plain backprop
        elif p == L - 2:
            assert err_minus < 1e-12 and err_plus > 1e-3   # eq. 14's case: sign flipped
        else:
            assert min(err_plus, err_minus) > 1e-3  # mixed signs: neither


def test_sign_delta():
    assert [D.sign_delta(n) for n in range(5)] == [1, -1, 1, -1, 1]


def test_term_shares_match_brute_force():
    W, _ = net([12, 8, 6, 5, 3], 7)
    rng = np.random.default_rng(0)
    X, y = rng.random((3, 12)), [0, 1, 2]
    taus = [0.3, 2.0, 40.0]
    shares, cosines = D.term_shares(W, X, y, taus)
    for i, t in enumerate(taus):
        s, c = np.zeros(4), np.zeros(4)
        for x, lab in zip(X, y):
            terms = D.zero_start_terms(W, x, lab, t)
            d = gtp.gtp_updates(W, x, lab, tau=t, eta=1.0, steps=1, start="zero")
            bp = gtp.backprop_updates(W, x, lab, eta=1.0)
            for l in range(4):
                nb = np.linalg.norm(terms[l]["backprop"])
                na = sum(np.linalg.norm(a) for a in terms[l]["activity"].values())
                s[l] += nb / (nb + na) / 3
                c[l] += D.cosine(d[l], bp[l]) / 3
        np.testing.assert_allclose(shares[i], s, atol=1e-12)
        np.testing.assert_allclose(cosines[i], c, atol=1e-12)
    assert np.all(np.diff(shares[:, :-1], axis=0) > 0)     # the backprop share grows with tau
    np.testing.assert_allclose(shares[:, -1], 1)


def test_span_residual_zero_only_for_one_step():
    W, x = net([12, 8, 6, 5, 3], 8)
    for start in ("zero", "activation"):
        assert max(D.span_residual(W, x, 1, 0.5, 1, start)) < 1e-10
        r = D.span_residual(W, x, 1, 0.5, 4, start)
        assert min(r[:-1]) > 1e-3 and r[-1] < 1e-12


def test_cosine_grid_limits():
    W, _ = net([12, 8, 6, 3], 9)
    rng = np.random.default_rng(1)
    X, y = rng.random((2, 12)), [0, 2]
    g = D.cosine_grid(W, X, y, [0.5, 1e4], [1, 3], start="zero")
    assert g.shape == (2, 2, 3)
    np.testing.assert_allclose(g[:, :, -1], 1, atol=1e-12)          # output layer = backprop
    assert np.all(g[0, 1, :] > 0.999)                                # one huge step: backprop
    a = D.cosine_grid(W, X, y, [0.5, 3.0], [1], start="activation")
    np.testing.assert_allclose(a, 1, atol=1e-12)                     # activation start, 1 step
    assert np.isnan(D.cosine(np.zeros(3), np.ones(3)))
