"""One test per mutant that survived the mutation probe of issue #28 (each names the mutant it
kills; `scripts/mutate.py` re-runs such probes)."""
import numpy as np
import pytest

import gtp
from gtp.engine import records as R
from gtp.engine.rules import dfa, get_rule
from gtp.engine.rules import gtp as gtp_rule
from gtp.engine.training import TrainConfig, train
from gtp.experiments import dask_runner as runner
from gtp.experiments import sensitivity_grids as S
from gtp.experiments.search_design import still_rising
from gtp.maths.decomposition import channel_norms, feedback_channels, zero_start_terms
from gtp.maths.initialisation import layer_variances


def test_is_done_respects_the_epoch_budget(tmp_path):
    """Mutant: ``is_done`` ignoring ``epochs`` (a 3-epoch run would count for 5)."""
    p = str(tmp_path / "r.json")
    R.write_json(p, {"status": "finished", "config": {"epochs": 3}})
    assert runner.is_done(p) and runner.is_done(p, 3) and runner.is_done(p, 2)
    assert not runner.is_done(p, 4) and not runner.is_done(p, 20)
    R.write_json(p, {"status": "running", "config": {"epochs": 3}})
    assert not runner.is_done(p, 3)
    R.write_json(p, {"status": "diverged", "config": {"epochs": 1}})
    assert runner.is_done(p, 20)                       # a diverged run is final


def test_still_rising_needs_a_positive_slope():
    """Mutant: ``slope >= 0`` (a flat curve would count as rising)."""
    assert still_rising([0.0, 0.0, 0.0, 0.0], window=4) is False       # slope exactly 0
    assert still_rising([0.5, 0.5, 0.5, 0.5], window=4) is False
    assert still_rising([1.0, 1.0, 1.0], window=3) is False            # polyfit's slope: +2.5e-16
    assert still_rising([0.5, 0.6, 0.7, 0.8], window=4) is True
    assert still_rising([0.8, 0.7, 0.6, 0.5], window=4) is False
    assert still_rising([0.9, 0.1, 0.2, 0.3], window=3) is True          # only the last window
    assert still_rising([0.5], window=4) is False


def test_channel_norms_are_the_mean_norms_of_the_terms():
    """Mutant: ``channel_norms`` doubled."""
    rng = np.random.default_rng(4)
    W = gtp.init_weights([6, 5, 4, 3], "paper", rng=1)
    X, labels = rng.random((3, 6)), [0, 2, 1]
    got = channel_norms(W, X, labels, tau=2.0)
    want = np.zeros(len(got))
    for x, lab in zip(X, labels):
        terms = zero_start_terms(W, x, lab, 2.0)
        for j, c in enumerate(feedback_channels(len(W))):
            t = terms[c["weights"]]
            want[j] += np.linalg.norm(t["backprop"] if c["kind"] == "backprop" else t["activity"][c["source"]]) / 3
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got.min() > 0


def test_dfa_feedback_has_the_variance_of_the_last_weight_layer():
    """Mutant: DFA's feedback variance taken from W_0 instead of W_{L-1}."""
    sizes = (20, 12, 8, 3)
    cfg = TrainConfig(rule="dfa", sizes=sizes, acts="sigmoid", dataset="toy", eta=0.1, dtype="float64")
    var = layer_variances(sizes, "paper")
    assert not np.isclose(var[0], var[-1])              # the probe tells them apart
    state = dfa.init_state(sizes, np.random.default_rng(5), cfg)
    rng = np.random.default_rng(5)
    for l in range(1, len(sizes) - 1):
        np.testing.assert_array_equal(state[f"B{l}"], np.sqrt(var[-1]) * rng.standard_normal((sizes[l], sizes[-1])))


@pytest.mark.parametrize("rule", ["dtp", "tp"])
@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_the_inverse_noise_sigma_reaches_the_inverses(rule, engine):
    """Mutant: DTP/TP's inverse noise sigma ignored (the inverses would learn the same at any sigma)."""
    data = runner.toy_splits("toy", n_train=40, n_val=10, n_test=10)

    def inverses(sigma):
        c = TrainConfig(dataset="toy", sizes=(12, 10, 8, 3), acts="sigmoid", rule=rule, eta=0.05, epochs=1,
                        sigma=sigma, dtype="float64", engine=engine, n_eval_train=0, n_probe=0)
        return train(c, data=data, progress=False)["state"]["V1"]

    small, large, again = inverses(0.01), inverses(0.5), inverses(0.5)
    np.testing.assert_array_equal(large, again)               # seeded: same sigma, same inverses
    assert np.abs(small - large).max() > 1e-4


def test_fast_and_reference_inverses_agree_at_a_large_sigma():
    data = runner.toy_splits("toy", n_train=20, n_val=10, n_test=10)
    out = []
    for engine in ("fast", "reference"):
        c = TrainConfig(dataset="toy", sizes=(12, 10, 8, 3), acts="sigmoid", rule="dtp", eta=0.05, epochs=1,
                        sigma=0.7, dtype="float64", engine=engine, n_eval_train=0, n_probe=0)
        out.append(train(c, data=data, progress=False)["state"]["V1"])
    np.testing.assert_allclose(out[0], out[1], atol=1e-10)


def test_per_layer_grid_trains_and_records_the_same_tau_order(tmp_path):
    """Mutant: the per-layer sensitivity grid training (tau2, tau1) but recording (tau1, tau2)."""
    setup = S._grid_setup("per-layer-tau", "toy", (12, 10, 8, 3), "sigmoid", taus=(25.0, 100.0), eta=0.01,
                          n_train=20, epochs=1, seed=0)
    g = S.GridRun(*setup, root=str(tmp_path), log=lambda m: None)
    asym = [t for t in g.tasks if g.todo[t.id][0][0] != g.todo[t.id][0][1]]
    assert len(asym) == 2
    for t in g.tasks:
        tau, eta = g.todo[t.id]
        assert t.config["tau"] == list(tau) and t.config["eta"] == eta
        assert f"tau{tau[0]:g}-{tau[1]:g}" in t.id
    t = asym[0]
    tau = g.todo[t.id][0]
    rec = {"config": t.config, "epochs": [{"epoch": 0, "val_acc": 0.1}, {"epoch": 1, "val_acc": 0.5, "val_loss": 1}],
           "status": "finished", "message": None, "wall_time": 1.0}
    g.on_result(t, rec)
    cell = g.out["cells"][-1]
    assert cell["tau"] == list(tau) == t.config["tau"] and cell["val_acc"] == 0.5


def test_gtp_angle_deltas_use_the_configured_steps():
    """Mutant: GTP's angle deltas ignoring ``cfg.steps``."""
    W = gtp.init_weights([6, 5, 4, 3], "paper", rng=2)
    x = np.random.default_rng(3).random(6)
    out = {}
    for steps in (1, 4):
        cfg = TrainConfig(dataset="toy", sizes=(6, 5, 4, 3), acts="sigmoid", tau=2.0, steps=steps,
                          start="activation", dtype="float64")
        zs, ys, d = gtp_rule.deltas(W, x, 1, cfg)
        yhat = gtp.targets(W, zs, ys, 1, 2.0, steps, "activation", "sigmoid")
        want = gtp.maths.updates.local_deltas(W, zs, ys, yhat, "sigmoid")
        for a, b in zip(d, want):
            np.testing.assert_allclose(a, b, rtol=1e-12)
        out[steps] = d
    assert np.abs(out[1][0] - out[4][0]).max() > 1e-6
    assert get_rule("gtp").deltas is gtp_rule.deltas
