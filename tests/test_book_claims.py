"""Claims made in prose outside executed code (glossary, notation, errata) that a test pins.

Each test reads the sentence from the book and checks it against the library, so that the
text cannot drift from the mathematics without the build failing.
"""
import re
from pathlib import Path

import numpy as np

import gtp
from gtp.maths import decomposition as dec

BOOK = Path(__file__).resolve().parents[1] / "book"


def glossary_entry(term):
    text = (BOOK / "reference" / "glossary.md").read_text()
    m = re.search(rf"^{re.escape(term)}\n((?:  .*\n|\n)+?)(?=^\S)", text, flags=re.M)
    assert m, f"glossary has no entry {term!r}"
    return " ".join(m.group(1).split())


def test_glossary_hebbian_term_is_subtracted_as_the_decomposition_says():
    entry = glossary_entry("Hebbian term")
    assert "minus" in entry and "plus a" not in entry
    # the claim: zero start, one step => dW_{L-2} = eta tau (backprop step) - eta (y f'(z)) y^T
    rng = np.random.default_rng(0)
    W = gtp.init_weights([5, 4, 3], "paper", rng=rng)
    x, label, tau, eta = rng.random(5), 1, 6.0, 0.2
    zs, ys = gtp.forward(W, x)
    upd = gtp.gtp_updates(W, x, label, tau=tau, eta=eta, steps=1, start="zero")[0]
    hebb = eta * np.outer(ys[1] * gtp.sigmoid_prime(zs[1]), ys[0])
    bp = tau * gtp.backprop_updates(W, x, label, eta=eta)[0]
    np.testing.assert_allclose(upd, bp - hebb, atol=1e-14)
    assert np.max(np.abs(upd - (bp + hebb))) > 1e-3


def test_glossary_zero_start_one_step_target():
    entry = glossary_entry("zero start")
    assert r"\hat y_l = -\tau\,\partial C_{l+1}/\partial y_l" in entry
    rng = np.random.default_rng(1)
    W = gtp.init_weights([4, 3, 2], "paper", rng=rng)
    zs, ys = gtp.forward(W, rng.random(4))
    t = gtp.euler_target(W[1], ys[1], gtp.one_hot(0, 2), tau=3.0, steps=1, start="zero")
    np.testing.assert_allclose(t, -3.0 * gtp.local_cost_grad(W[1], ys[1], gtp.one_hot(0, 2)), atol=1e-15)


def test_glossary_activation_start_one_step_is_scaled_backprop():
    entry = glossary_entry("activation start")
    assert "backprop update scaled by $\\tau$" in entry
    rng = np.random.default_rng(2)
    W = gtp.init_weights([4, 3, 2], "paper", rng=rng)
    x = rng.random(4)
    upd = gtp.gtp_updates(W, x, 1, tau=2.5, eta=0.1, steps=1, start="activation")[0]
    np.testing.assert_allclose(upd, 2.5 * gtp.backprop_updates(W, x, 1, eta=0.1)[0], atol=1e-14)


def test_layer_gains_are_the_powers_of_tau_of_the_decomposition():
    # the closing chapter and backprop-hebbian quote eta tau^(L-1-l); check against the terms
    assert dec.layer_gains(4, 25.0, 0.0005) == [0.0005 * 25.0 ** 3, 0.0005 * 25.0 ** 2, 0.0005 * 25.0, 0.0005]
    assert dec.layer_gains(3, [2.0, 5.0], 1.0) == [10.0, 5.0, 1.0]
    rng = np.random.default_rng(3)
    W = gtp.init_weights([5, 4, 4, 3], "paper", rng=rng)
    x = rng.random(5)
    terms = dec.zero_start_terms(W, x, 2, [2.0, 5.0])
    dC = gtp.backprop_gradients(W, x, 2)
    for t, g, gain in zip(terms, dC, dec.layer_gains(3, [2.0, 5.0])):
        np.testing.assert_allclose(t["backprop"], -gain * g, atol=1e-15)


def test_feedback_channels_match_figure_4_caption():
    chans = dec.feedback_channels(3)
    assert [c["name"] for c in chans] == [f"C{j}" for j in range(1, 7)]
    assert [c["kind"] for c in chans[:3]] == ["backprop"] * 3
    assert chans[3]["kind"] == "non-local activity" and (chans[3]["source"], chans[3]["weights"]) == (2, 0)
    assert {(c["source"], c["weights"]) for c in chans[4:]} == {(1, 0), (2, 1)}
    assert [c["tau_power"] for c in chans] == [0, 1, 2, 1, 0, 0]
    assert len(dec.feedback_channels(4)) == 4 + 6            # L backprop + L(L-1)/2 activity


def test_channel_norms_add_up_to_a_bound_on_the_update():
    rng = np.random.default_rng(4)
    W = gtp.init_weights([6, 5, 4, 3], "paper", rng=rng)
    X, labels = rng.random((3, 6)), [0, 1, 2]
    norms = dec.channel_norms(W, X, labels, 4.0)
    chans = dec.feedback_channels(3)
    assert norms.shape == (6,) and np.all(norms > 0)
    for l in range(3):
        upd = np.mean([np.linalg.norm(u[l]) for u in
                       (gtp.gtp_updates(W, x, y, tau=4.0, eta=1.0, steps=1, start="zero")
                        for x, y in zip(X, labels))])
        assert upd <= sum(n for n, c in zip(norms, chans) if c["weights"] == l) + 1e-12


def test_errata_page_lists_every_known_erratum():
    text = (BOOK / "reference" / "errata.md").read_text()
    for needle in ("Eq. 12 and 14", "Eq. 15 and 48-51", "Eq. 6, 26 and 27", "Figure 2's caption",
                   "appendix C for technical details", "Algorithm 1"):
        assert needle in text, needle


def test_no_solution_shows_code_it_does_not_run():
    """A solution that shows code must run it (a gated solution-start/solution-end with code
    cells, and a hidden assert for the number or behaviour it states): a static code block in
    a ``{solution}`` directive is never executed, so what it claims is never checked."""
    offenders = []
    for path in sorted(BOOK.rglob("*.md")):
        text = path.read_text()
        for m in re.finditer(r"^(`{3,4})\{solution\} (\S+)\n(.*?)^\1$", text, flags=re.M | re.S):
            body = m.group(3)
            if "```python" in body or "```{code" in body or re.search(r"^    \S", body, flags=re.M):
                offenders.append(f"{path.relative_to(BOOK)}: {m.group(2)}")
    assert not offenders, f"solutions with code that the build does not run: {offenders}"


def test_glossary_per_layer_gain_multiplies_backprop_only():
    entry = glossary_entry("per-layer gain")
    assert r"\eta\,\tau^{L-1-l}" in entry and "not multiplied" in entry
    rng = np.random.default_rng(5)
    W = gtp.init_weights([5, 4, 4, 3], "paper", rng=rng)
    x, tau, eta = rng.random(5), 3.0, 0.2
    upd = gtp.gtp_updates(W, x, 1, tau=tau, eta=eta, steps=1, start="zero")
    terms = dec.zero_start_terms(W, x, 1, tau)
    gains = dec.layer_gains(3, tau, eta)
    dC = gtp.backprop_gradients(W, x, 1)
    for l in range(3):
        # update = -gain dC/dW_l + eta x (activity terms, with their own powers of tau)
        activity = sum(terms[l]["activity"].values(), np.zeros_like(W[l]))
        np.testing.assert_allclose(upd[l], -gains[l] * dC[l] + eta * activity, atol=1e-14)


def test_closing_chapter_sits_between_training_and_reference():
    import yaml
    toc = yaml.safe_load((BOOK.parent / "_toc.yml").read_text())
    captions = [p["caption"] for p in toc["parts"]]
    files = {p["caption"]: [c["file"] for c in p["chapters"]] for p in toc["parts"]}
    # the part "GTP among its relatives" sits between Training and the Conclusion
    assert captions.index("Training") + 1 == captions.index("GTP among its relatives") \
        == captions.index("Conclusion") - 1 == captions.index("Reference") - 2
    assert files["Conclusion"] == ["book/closing"] and "book/reference/errata" in files["Reference"]
