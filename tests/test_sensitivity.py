"""The tau x eta sensitivity grids (gtp.experiments.sensitivity_grids): files, resume, validation only."""
import json
import os

import numpy as np
import pytest

import gtp.experiments.sensitivity_grids as S
from gtp.experiments import dask_runner as runner


def small_data(seed=0, n_in=20, n_train=300, n_val=100):
    rng = np.random.default_rng(seed)
    centres = rng.random((3, n_in)) < 0.3

    def split(n):
        y = rng.integers(0, 3, n)
        return (np.clip(centres[y] * 0.8 + rng.random((n, n_in)) * 0.2, 0, 1)
                .astype(np.float32), y)
    return {"train": split(n_train), "validation": split(n_val), "test": None}


DATA = small_data()


@pytest.fixture(scope="module")
def dask_client():
    """One 2-worker LocalCluster for the module (starting one per grid is slow)."""
    client = runner.connect(n_workers=2, dashboard=False)
    yield client
    runner._close(client)


@pytest.fixture(autouse=True)
def shared_cluster(monkeypatch, dask_client):
    monkeypatch.setattr(runner, "connect", lambda *a, **k: dask_client)
    monkeypatch.setattr(runner, "_close", lambda client: None)
KW = dict(dataset="toy", sizes=(20, 8, 3), acts="sigmoid", n_train=300, epochs=1,
          log=lambda m: None)


def test_grid_file_holds_every_cell_with_provenance(tmp_path):
    g = S.run_grid(taus=(1.0, 40.0), etas=(0.1, 1.0), root=tmp_path, data=DATA, **KW)
    path = S.grid_path("toy-20-8-3-sigmoid", tmp_path)
    on_disk = json.load(open(path))
    assert on_disk["status"] == "finished" and len(on_disk["cells"]) == 4
    assert on_disk["split"] == "validation" and on_disk["budget"]["n_train"] == 300
    assert on_disk["provenance"]["numpy_version"] == np.__version__
    assert [f for f in os.listdir(os.path.dirname(path)) if f.startswith(".tmp")] == []
    rows, cols, acc, div = S.grid_matrix(g)
    assert rows == [1.0, 40.0] and cols == [0.1, 1.0] and acc.shape == (2, 2)
    for c in on_disk["cells"]:
        assert acc[rows.index(c["tau"]), cols.index(c["eta"])] == c["val_acc"]
        assert len(c["val_acc_epochs"]) == 2        # the untrained net, then one epoch
    best = S.best_cell(g)
    assert best[2] == np.nanmax(acc) and best[2] > 0.6   # the toy classes are learnable


def test_resume_skips_done_cells_and_grows_the_grid(tmp_path, monkeypatch):
    S.run_grid(taus=(1.0,), etas=(0.1, 1.0), root=tmp_path, data=DATA, **KW)
    calls = []
    real = S._cell_entry
    monkeypatch.setattr(S, "_cell_entry", lambda *a, **k: calls.append(a[:2]) or real(*a, **k))
    g = S.run_grid(taus=(1.0, 4.0), etas=(0.1, 1.0), root=tmp_path, data=DATA, **KW)
    assert sorted(calls) == [(4.0, 0.1), (4.0, 1.0)]
    assert g["status"] == "finished" and len(g["cells"]) == 4
    calls.clear()
    S.run_grid(taus=(1.0, 4.0), etas=(0.1, 1.0), root=tmp_path, data=DATA, **dict(KW, epochs=2))
    assert len(calls) == 4                          # another budget: nothing is reused


def test_stop_leaves_a_resumable_running_grid(tmp_path):
    class Stop:
        def is_set(self):
            return True
    g = S.run_grid(taus=(1.0,), etas=(0.1,), root=tmp_path, data=DATA, stop=Stop(), **KW)
    assert g["status"] == "running" and g["cells"] == []


def test_per_layer_grid_and_its_checks(tmp_path):
    kw = dict(KW, sizes=(20, 8, 6, 3))
    g = S.run_per_layer(taus=(1.0, 10.0), eta=0.5, root=tmp_path, data=DATA, **kw)
    rows, cols, acc, _ = S.grid_matrix(g)
    assert g["kind"] == "per-layer-tau" and rows == cols == [1.0, 10.0]
    assert np.isfinite(acc).all()
    assert os.path.exists(S.grid_path("toy-20-8-6-3-sigmoid-per-layer-tau-eta0.5", tmp_path))
    with pytest.raises(ValueError, match="two hidden layers"):
        S.run_per_layer(sizes=(20, 8, 3), root=tmp_path, data=DATA, log=None)


def test_divergence_is_recorded_as_a_cell(tmp_path):
    acts = ["relu", "relu", "sigmoid"]
    g = S.run_grid(dataset="toy", sizes=(20, 30, 30, 3), acts=acts, taus=(1e4,), etas=(1.0,),
                   n_train=300, epochs=1, root=tmp_path, data=DATA, log=lambda m: None)
    c = g["cells"][0]
    assert c["diverged"] and c["val_acc"] is None and c["status"] == "diverged"
    rows, cols, acc, div = S.grid_matrix(g)
    assert div[0, 0] and np.isnan(acc[0, 0]) and S.best_cell(g) is None


def test_grid_names_and_the_papers_settings():
    assert S.grid_name("tau-eta", "mnist", (784, 100, 10), "sigmoid") == "mnist-784-100-10-sigmoid"
    assert S.grid_name("per-layer-tau", "mnist", (784, 100, 100, 10), "paper", 0.001) == \
        "mnist-784-100-100-10-paper-per-layer-tau-eta0.001"
    with pytest.raises(ValueError, match="kind"):
        S.grid_name("eta", "mnist", (784, 10), "sigmoid")
    assert S.paper_setting("mnist", (784, 100, 10)) == (400.0, 0.01)
    assert S.paper_setting("fashion-mnist", (784, 100, 10)) == (100.0, 0.01)
    for dataset, sizes in [("mnist", (784, 100, 10)), ("fashion-mnist", (784, 100, 10))]:
        tau, eta = S.paper_setting(dataset, sizes)
        assert tau in S.TAUS and eta in S.ETAS      # the paper's cell is on the grid


def test_run_all_runs_the_listed_grids(tmp_path, monkeypatch):
    grids = [("tau-eta", dict(dataset="toy", sizes=(20, 8, 3), acts="sigmoid", taus=(1.0,),
                              etas=(0.5,), data=DATA)),
             ("per-layer-tau", dict(dataset="toy", sizes=(20, 8, 6, 3), acts="sigmoid",
                                    taus=(1.0,), eta=0.5, data=DATA))]
    paths = S.run_all(root=tmp_path, grids=grids, log=lambda m: None, n_train=300, epochs=1)
    assert [os.path.basename(p) for p in paths] == [
        "toy-20-8-3-sigmoid.json", "toy-20-8-6-3-sigmoid-per-layer-tau-eta0.5.json"]
    assert all(json.load(open(p))["status"] == "finished" for p in paths)


def test_first_layer_signals_are_the_updates_and_gradients_norms():
    import gtp
    from gtp.experiments.sensitivity_grids import first_layer_signals, first_layer_study
    rng = np.random.default_rng(0)
    X, y = rng.random((7, 12)), rng.integers(0, 3, 7)
    W = gtp.init_weights((12, 6, 3), rng=2)
    for acts in ("sigmoid", "paper"):
        s = first_layer_signals(W, X, y, 30.0, acts, eta=0.1)
        for i in range(len(X)):
            up = gtp.gtp_updates(W, X[i], y[i], 30.0, 0.1, 1, "zero", acts)[0]
            g = gtp.backprop_gradients(W, X[i], y[i], acts)[0]
            zs, ys = gtp.forward(W, X[i], acts)
            yhat = gtp.targets(W, zs, ys, y[i], 30.0, 1, "zero", acts)
            assert s["update_norm"][i] == pytest.approx(np.linalg.norm(up), rel=1e-12)
            assert s["backprop_norm"][i] == pytest.approx(np.linalg.norm(g), rel=1e-12)
            assert s["target_max"][i] == pytest.approx(np.max(np.abs(yhat[1])), rel=1e-12)
    study = first_layer_study(X, y, (12, 6, 3), 30.0, 0.1)
    relu, sig = study["paper"], study["sigmoid"]
    assert relu["fprime_mean"] > sig["fprime_mean"] and sig["fprime_mean"] <= 0.25
