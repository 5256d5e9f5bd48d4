"""The learning-rule registry (gtp.engine.rules) and CONTRIBUTING.md's worked example."""
import dataclasses
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import gtp
from gtp import reports as report
from gtp.engine import rules as LR
from gtp.engine.kernels import FastNet
from gtp.engine.training import TrainConfig, state_rng, train

ROOT = Path(__file__).resolve().parents[1]


def test_registry_entries_and_errors():
    assert LR.rule_names()[:2] == ("gtp", "backprop") and LR.baseline().name == "backprop"
    assert LR.rules_of("training") == ("gtp", "backprop")
    assert LR.rules_of("relatives") == ("fa", "dfa", "dtp", "tp")
    assert LR.get_rule("gtp").uses("tau") and not LR.get_rule("backprop").uses("tau")
    with pytest.raises(ValueError, match="expected one of .*'gtp'"):
        LR.get_rule("hebb")
    with pytest.raises(ValueError, match="already registered"):
        LR.register(LR.get_rule("gtp"))
    with pytest.raises(TypeError, match="Rule"):
        LR.register("gtp")
    with pytest.raises(ValueError, match="rule"):
        TrainConfig(rule="hebb")


@pytest.mark.parametrize("name", LR.rule_names())
@pytest.mark.parametrize("batch", [1, 5])
def test_every_rule_kernel_matches_its_reference_step(name, batch):
    """The fast kernel of each registered rule gives its reference update (float64)."""
    rng = np.random.default_rng(0)
    X, y = rng.random((20, 9)), rng.integers(0, 3, 20)
    cfg = TrainConfig(sizes=(9, 7, 5, 3), acts="paper", rule=name, tau=[1.5, 0.7], eta=0.3,
                      steps=2, dtype="float64")
    W_ref = gtp.init_weights(cfg.sizes, rng=1)
    W_fast = [w.copy() for w in W_ref]
    rule = LR.get_rule(name)
    s_ref, s_fast = (rule.new_state(cfg.sizes, state_rng(0), cfg) for _ in range(2))
    for s in range(0, len(X), batch):
        xb, yb = (X[s], int(y[s])) if batch == 1 else (X[s:s + batch], y[s:s + batch])
        rule.reference(W_ref, xb, yb, cfg, s_ref)
    params = {n: getattr(cfg, n) for n in rule.hyper if n not in ("tau", "steps", "start")}
    FastNet(W_fast, cfg.acts, name, cfg.tau, cfg.eta, cfg.steps, cfg.start, batch,
            state=s_fast if rule.stateful else None, params=params).run(
        X, y, np.arange(len(X)), batch_size=batch)
    for a, b in zip(W_fast, W_ref):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    for k, v in s_ref.items():                  # learned state (DTP's inverses) too
        if isinstance(v, np.ndarray):
            np.testing.assert_allclose(s_fast[k], v, rtol=0, atol=1e-12)


def _example_module():
    """The readout rule exactly as CONTRIBUTING.md writes it, as a module of the package."""
    text = (ROOT / "CONTRIBUTING.md").read_text()
    code = re.search(r"```python\n(\"\"\"Readout-only.*?)```", text, re.S).group(1)
    mod = types.ModuleType("gtp.engine.rules.readout")
    mod.__package__ = "gtp.engine.rules"
    exec(compile(code, "CONTRIBUTING.md", "exec"), mod.__dict__)
    return mod


@pytest.fixture
def readout(monkeypatch):
    mod = _example_module()
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    monkeypatch.setitem(LR.RULES, "readout", mod.RULE)     # removed again after the test
    return mod.RULE


def test_contributing_example_adds_a_rule_end_to_end(readout, tmp_path):
    rng = np.random.default_rng(3)
    protos = rng.random((4, 16))

    def split(n, seed):
        r = np.random.default_rng(seed)
        y = r.integers(0, 4, n)
        return np.clip(protos[y] + 0.15 * r.standard_normal((n, 16)), 0, 1), y
    data = {"train": split(200, 1), "validation": split(100, 2), "test": split(100, 3)}
    cfg = TrainConfig(dataset="synthetic", sizes=(16, 12, 4), acts="sigmoid", rule="readout",
                      tau=None, eta=0.5, epochs=3, seed=0, dtype="float64", n_probe=0,
                      n_eval_train=50)
    fast = train(cfg, data=data, progress=False)
    ref = train(dataclasses.replace(cfg, engine="reference"), data=data, progress=False)
    for a, b in zip(fast["weights"], ref["weights"]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    W0 = gtp.init_weights(cfg.sizes, "paper", rng=np.random.default_rng(0))
    np.testing.assert_array_equal(fast["weights"][0], W0[0])      # hidden layer untouched
    assert not np.allclose(fast["weights"][1], W0[1])
    acc = [e["val_acc"] for e in fast["epochs"]]
    assert acc[-1] > acc[0] + 0.3
    # the panel's choices include it, the reports label and colour it
    assert "readout only (random hidden layers)" in [lab for r in LR.RULES.values()
                                                     for _, lab, _ in r.choices]
    assert report.kind_label(("readout", "printed")) == "readout only, paper's settings"
    assert report.kind_colour(("readout", "printed")) == "#CC79A7"
