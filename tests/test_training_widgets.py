"""The training panel (gtp.book.panels_training), driven as a reader does: set .value, click."""
import threading

import numpy as np
import pytest

from gtp.book import panels_training as T


def synthetic(n_in=784, n_train=600, n_val=200, n_test=200, seed=0):
    """Ten well-separated classes in [0, 1]^n_in (learnable in one epoch)."""
    rng = np.random.default_rng(seed)
    centres = rng.random((10, n_in)) < 0.15

    def split(n):
        y = rng.integers(0, 10, n)
        X = np.clip(centres[y] * 0.9 + rng.random((n, n_in)) * 0.2, 0, 1)
        return X.astype(np.float32), y
    return {"train": split(n_train), "validation": split(n_val), "test": split(n_test)}


DATA = synthetic()
DATA_CIFAR = synthetic(n_in=3072, n_train=300, n_val=100, n_test=100)


def loader(dataset):
    return DATA_CIFAR if dataset == "cifar-10" else DATA


def panel(**kw):
    settings = dict(n_train=1000, epochs=2)
    settings.update(kw)
    p = T.TrainingPanel(loader=loader, **settings)
    p.n_train.value = settings["n_train"]
    return p


def test_defaults_match_the_paper_row_and_documented_run():
    p = T.TrainingPanel(loader=loader)
    cfg = T.make_config(p.settings())
    assert cfg.sizes == (784, 100, 10) and cfg.dataset == "mnist"
    assert (cfg.rule, cfg.start, cfg.acts) == ("gtp", "zero", "sigmoid")
    net, tau, eta, table = T.paper_networks("mnist")[0]
    assert (net, table) == ("784-100-10", 1) and (cfg.tau, cfg.eta) == (tau, eta)
    assert cfg.n_train == 50000 and "Ready" in p.note.value and not p.start_button.disabled


def test_start_trains_in_a_thread_and_draws_everything():
    p = panel()
    p.start_button.click()
    assert p.join(timeout=60)
    rec = p.record
    assert rec["status"] == "finished" and len(rec["epochs"]) == 3
    assert rec["data"]["n_train"] == 600             # the loader's split, capped by n_train
    assert rec["epochs"][-1]["test_acc"] > 0.9       # the synthetic classes are separable
    assert "Finished" in p.status.value
    assert f"test accuracy {100 * rec['epochs'][-1]['test_acc']:.2f}%" in p.status.value
    assert p.curves.value[:4] == b"\x89PNG" and p.errors_image.value[:4] == b"\x89PNG"
    assert [e["epoch"] for e in p.epochs] == [0, 1, 2]
    assert p.progress.value == p.progress.max == 2 * 600
    assert not p.start_button.disabled and p.stop_button.disabled and not p.running


def test_changes_during_a_run_apply_to_the_next_run():
    gate = threading.Event()
    seen = []

    def slow_loader(dataset):
        gate.wait(10)                                 # hold the run until the change is made
        return DATA

    p = T.TrainingPanel(loader=slow_loader, n_train=1000, epochs=1)
    p.start()
    assert p.running and p.start_button.disabled
    p.tau.value = 25.0
    p.epochs_slider.value = 4
    assert "next run" in p.note.value and "epochs" in p.note.value
    assert p.start() is False                         # a second Start is refused
    gate.set()
    assert p.join(timeout=60)
    seen.append(p.record["config"])
    assert seen[0]["tau"] == 400.0 and seen[0]["epochs"] == 1   # the run kept its copy
    p.start()
    assert p.join(timeout=60)
    assert p.record["config"]["tau"] == 25.0 and p.record["config"]["epochs"] == 4


def test_stop_ends_the_run_cleanly_and_keeps_the_weights():
    p = panel(epochs=30)
    p.start()
    p.stop_button.click()
    assert p.join(timeout=60)
    rec = p.record
    assert rec["status"] == "stopped" and "Stopped" in p.status.value
    assert all(np.isfinite(w).all() for w in rec["weights"])
    assert rec["epochs"][-1]["examples"] < 30 * 600
    assert p.stop() is False and "Nothing to stop" in p.note.value


@pytest.mark.parametrize("name,value", [("tau", 1e-2), ("tau", 1e4), ("eta", 1e-6), ("eta", 1.0),
                                        ("steps", 20), ("epochs_slider", 1), ("seed", 10 ** 6)])
def test_extreme_slider_values_never_raise(name, value):
    """The slider holds the value (its ends), the config that would run holds it, and the
    note says it."""
    p = panel()
    slider = getattr(p, name)
    slider.value = value
    assert "Invalid" not in p.note.value and slider.value == value
    cfg = T.make_config(p.settings())
    field = {"epochs_slider": "epochs"}.get(name, name)
    assert getattr(cfg, field) == value
    shown = {"tau": f"τ={value:g}", "eta": f"η={value:g}", "steps": f"{value} steps",
             "epochs_slider": "1 epoch of", "seed": f"seed {value}"}[name]
    assert shown in p.note.value and p.describe(cfg) in p.note.value


def test_invalid_custom_sizes_show_a_message_and_disable_start():
    p = panel()
    p.network.value = T.CUSTOM
    assert not p.hidden.disabled
    p.hidden.value = "100-abc"
    assert "Invalid setting" in p.note.value and p.start_button.disabled
    assert p.start() is False and "Cannot start" in p.status.value
    p.hidden.value = "30-20"
    assert "784-30-20-10" in p.note.value and not p.start_button.disabled


def test_dataset_change_offers_its_paper_networks_and_their_settings():
    p = panel()
    p.dataset.value = "cifar-10"
    nets = [v for _, v in p.network.options]
    assert nets[0] == "3072-100-10" and nets[-1] == T.CUSTOM and len(nets) == 6
    assert (p.tau.value, p.eta.value) == (50.0, 0.001)
    assert p.n_train.max == 45000
    p.network.value = "3072-500-500-500-10"
    assert p.eta.value == 5e-6 and p.eta.label == "5e-06"
    p.dataset.value = "fashion-mnist"
    assert p.network.value == "784-100-10" and p.tau.value == 100.0


def test_divergence_is_reported_not_raised():
    p = panel(epochs=1, acts="relu-hidden")
    p.network.value = T.CUSTOM
    p.hidden.value = "100-100"                      # ReLU targets grow layer by layer
    p.tau.value, p.eta.value = 1e4, 1.0
    p.start()
    assert p.join(timeout=60)
    assert p.record["status"] == "diverged" and "Diverged" in p.status.value


def test_backprop_and_activation_start_run_and_cifar_images_draw():
    p = panel(epochs=1)
    p.rule.value = "backprop"
    p.start()
    assert p.join(timeout=60) and p.record["config"]["rule"] == "backprop"
    p.dataset.value = "cifar-10"
    p.rule.value = "gtp-activation"
    p.n_train.value = 1000
    p.start()
    assert p.join(timeout=60)
    assert p.record["config"]["start"] == "activation" and p.record["status"] == "finished"
    assert p.misclassified_figure is not None and p.errors_image.value[:4] == b"\x89PNG"


def test_parse_sizes_and_acts():
    assert T.parse_sizes("100-100", 784, 10) == (784, 100, 100, 10)
    assert T.parse_sizes("50, 20", 3072, 10) == (3072, 50, 20, 10)
    for bad in ("", "0", "a", "1-2-3-4-5-6-7"):
        with pytest.raises(ValueError, match="hidden sizes"):
            T.parse_sizes(bad, 784, 10)
    assert T.resolve_acts("relu-hidden", 3) == ["relu", "relu", "sigmoid"]
    with pytest.raises(ValueError, match="acts"):
        T.resolve_acts("tanh", 2)
