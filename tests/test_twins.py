"""Static twins of the panels (gtp/book/twins.py): lossless frames identical to what the live
panels draw, readouts that name the right state, the HTML block, and the build's budgets."""
import base64
import html
import io
import json
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from gtp.book import twin_specs, twins

ROOT = Path(__file__).resolve().parents[1]


def frame_pixels(frame):
    return twins.decode_pixels(base64.b64decode(frame["src"].split(",", 1)[1]))


def toy_spec(calls=None):
    """Two sliders and a select over a tiny grid; each frame a 4x3 image of the values."""
    from PIL import Image

    def frame(v):
        if calls is not None:
            calls.append(dict(v))
        im = Image.new("RGB", (4, 3), (int(10 * v["a"]), v["b"], 200 if v["c"] == "y" else 0))
        buf = io.BytesIO()
        im.save(buf, "PNG")
        return twins.Frame(buf.getvalue(), f"sum {v['a'] + v['b']:g}")
    return twins.TwinSpec("toy", "Toy", (
        twins.Control("a", "a", (1.0, 2.5, 10.0), 2.5),
        twins.Control("b", "b", (1, 2), 2, fmt="{:d}"),
        twins.Control("c", "choice", ("x", "y"), "x", kind="select", labels=("ex", "why"))),
        frame)


# --------------------------------------------------------------------------- encoding
def test_encode_is_lossless_and_not_larger(tmp_path):
    rng = np.random.default_rng(0)
    noisy = (rng.random((40, 60, 4)) * 255).astype(np.uint8)
    noisy[..., 3] = 255
    flat = np.zeros((40, 60, 4), np.uint8)
    flat[..., 3], flat[:20, :, 0] = 255, 200          # two colours: palette PNG or WebP
    from PIL import Image
    for arr in (noisy, flat):
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, "PNG")
        mime, data = twins.encode(buf.getvalue())
        assert mime in ("image/png", "image/webp")
        assert len(data) <= len(buf.getvalue())
        assert np.array_equal(twins.decode_pixels(data), arr)
    assert len(twins.encode(buf.getvalue())[1]) < 0.5 * len(buf.getvalue())


def test_control_checks_name_the_problem():
    with pytest.raises(ValueError, match="default 3 is not in the grid"):
        twins.Control("a", "a", (1, 2), 3)
    with pytest.raises(ValueError, match="kind must be"):
        twins.Control("a", "a", (1, 2), 1, kind="slider")
    with pytest.raises(ValueError, match="at most two sliders"):
        twins.TwinSpec("x", "x", tuple(twins.Control(n, n, (1,), 1) for n in "abc"), None)


# --------------------------------------------------------------------------- render, HTML
def test_render_draws_every_point_default_first_row_major():
    calls = []
    spec = toy_spec(calls)
    r = twins.render(spec)
    assert len(r["frames"]) == 12 and len(calls) == 12
    assert calls[0] == spec.defaults                       # drawn first, as a panel does
    assert r["default"] == 1 * 4 + 1 * 2 + 0               # a=2.5, b=2, c=x, row-major
    # frame k is the point k of the grid: its pixels encode its values
    for k, values in enumerate(spec.points()):
        px = frame_pixels(r["frames"][k])[0, 0]
        assert tuple(px[:3]) == (int(10 * values["a"]), values["b"],
                                 200 if values["c"] == "y" else 0)
        f = r["frames"][k]
        named = dict(re.findall(r"(\w+) = ([^,;]+)", f["alt"]))
        assert named == {"a": f"{values['a']:g}", "b": str(values["b"]),
                         "choice": {"x": "ex", "y": "why"}[values["c"]]}
        assert f["readout"].startswith(spec.describe(values))
        assert f"sum {values['a'] + values['b']:g}" in f["alt"]


def test_twin_html_is_self_contained_and_accessible():
    spec = toy_spec()
    page = twins.twin_html(spec)
    assert "http" not in page                               # nothing to fetch
    assert page.count('type="range"') == 2 and page.count("<select") == 1
    for c in spec.controls:                                 # every control is labelled
        assert f'<label for="twin-toy-{c.name}">' in page
    data = json.loads(re.search(r'<script type="application/json" class="gtp-twin-data">(.*?)'
                                r"</script>", page).group(1))
    assert len(data["frames"]) == 12
    assert [c["texts"] for c in data["controls"]] == [["1", "2.5", "10"], ["1", "2"], ["ex", "why"]]
    default = data["frames"][6]
    assert f'src="{default["src"]}"' in page and html.escape(twins.NOTE) in page
    assert twins.TWIN_TAG.search(page).group(1, 2) == ("toy", "12")


def test_with_twin_adds_the_html_only_in_a_build(monkeypatch):
    import ipywidgets as widgets
    w = widgets.IntSlider()
    spec = toy_spec()
    data, _ = twins.with_twin(w, spec, twin=True)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/html"].startswith('<div class="gtp-twin" id="twin-toy"')
    monkeypatch.delenv(twins.ENV, raising=False)
    data, _ = twins.with_twin(w, spec)._repr_mimebundle_()
    assert "text/html" not in data and "application/vnd.jupyter.widget-view+json" in data
    monkeypatch.setenv(twins.ENV, "1")
    assert "text/html" in twins.static_twin(spec)._repr_mimebundle_()[0]


# --------------------------------------------------------------------------- the panels
def test_figure2_twin_default_frame_is_the_live_panel():
    from gtp.book.panels_theory import TargetConvergencePanel
    panel = TargetConvergencePanel(w=2.0, y_forward=0.1, label=0.8)
    spec = twin_specs.target_convergence_spec(panel)
    tau = spec.controls[0].values
    limit = spec.meta["limit"]
    for paper in (25.0, 50.0, 100.0):                       # the paper's values in range
        assert paper in tau
    assert any(v < limit for v in tau) and any(v > limit for v in tau)
    fr = spec.frame(spec.defaults)
    assert np.array_equal(twins.decode_pixels(fr.png), twins.decode_pixels(panel.output.value))
    assert panel.result["status"] in fr.key
    above = spec.frame(dict(spec.defaults, tau=min(v for v in tau if v > limit), steps=80))
    assert "oscillating" in above.key or "diverged" in above.key
    assert not np.array_equal(twins.decode_pixels(above.png), twins.decode_pixels(fr.png))


def test_cosine_twin_default_frame_is_the_live_panel():
    from gtp.book.panels_theory import CosinePanel
    panel = CosinePanel(sizes=(30, 8, 8, 10), n_examples=2, tau=50.0, steps=1, start="zero")
    spec = twin_specs.cosine_spec(panel, taus=(1.0,), steps=(1,))
    fr = spec.frame(spec.defaults)
    assert np.array_equal(twins.decode_pixels(fr.png), twins.decode_pixels(panel.output.value))
    assert fr.key.endswith(", ".join(f"W_{k} {c:+.3f}" for k, c in enumerate(panel.cosines)))


def test_initialisation_twin_default_frame_is_the_live_panel():
    from gtp.book.panels_initialisation import InitialisationPanel
    panel = InitialisationPanel(fan_in=40, depth=2)
    spec = twin_specs.initialisation_spec(panel, fan_ins=(10,), depths=(1,))
    assert spec.controls[0].values == (10, 40) and spec.controls[1].values == (1, 2)
    fr = spec.frame(spec.defaults)
    assert np.array_equal(twins.decode_pixels(fr.png), twins.decode_pixels(panel.output.value))
    assert f"{panel.result['mc']['var_y'][-1]:.4g}" in fr.key
    setup = spec.controls[3]
    assert [v.split("|")[1] for v in setup.values] == ["sigmoid", "paper"]   # no data sets here
    relu = spec.frame(dict(spec.defaults, setup=setup.values[1]))
    assert not np.array_equal(twins.decode_pixels(relu.png), twins.decode_pixels(fr.png))


def test_training_twin_default_frame_is_the_live_panel():
    from gtp.book.panels_training import TrainingPanel
    panel = TrainingPanel()
    spec = twin_specs.training_spec(panel)
    net = spec.controls[0]
    assert net.default == "mnist 784-100-10" and len(net.values) >= 6
    fr = spec.frame(spec.defaults)
    rec = json.loads((ROOT / "results/v1/table1/mnist-784-100-10-gtp-s0.json").read_text())
    # the live panel drawing that run's epochs
    cfg = rec["config"]
    panel.config = types.SimpleNamespace(dataset=cfg["dataset"], sizes=cfg["sizes"],
                                         rule=cfg["rule"])
    panel.epochs = rec["epochs"]
    panel.redraw()
    assert np.array_equal(twins.decode_pixels(fr.png), twins.decode_pixels(panel.curves.value))
    assert f"{100 * rec['epochs'][-1]['test_acc']:.2f}%" in fr.key
    assert "tau 400, eta 0.01" in fr.key                    # the paper's row, Table 1


def test_training_grid_twin_default_frame_is_the_live_panel():
    from gtp.book.panels_training import TrainingPanel, make_config
    from gtp.experiments import panel_runs
    from gtp.maths.paper import find_row
    panel = TrainingPanel()
    spec = twin_specs.training_grid_spec(panel)
    row = find_row("mnist", (784, 100, 10))
    assert spec.defaults == {"tau": panel.tau.value, "eta": panel.eta.value}
    assert (float(row.tau), float(row.eta)) == (panel.tau.value, panel.eta.value)
    rec = panel_runs.load_cell(panel.tau.value, panel.eta.value)
    # the stored cell is the very run the panel starts with its defaults
    cfg = make_config(panel.settings())
    assert rec["config"] == json.loads(json.dumps(cfg.to_dict()))
    fr = spec.frame(spec.defaults)
    panel.config, panel.epochs = cfg, rec["epochs"]       # the live panel drawing that run
    panel.draw()
    assert np.array_equal(twins.decode_pixels(fr.png), twins.decode_pixels(panel.curves.value))
    last = rec["epochs"][-1]
    assert f"final test accuracy {100 * last['test_acc']:.2f}%" in fr.key
    assert fr.key.endswith(", ".join(f"W_{k} {c:+.3f}" for k, c in enumerate(last["cos_batch"])))
    other = spec.frame({"tau": panel_runs.TAUS[0], "eta": panel_runs.ETAS[0]})
    assert not np.array_equal(twins.decode_pixels(other.png), twins.decode_pixels(fr.png))


def test_panel_runs_are_stored_for_every_cell_with_provenance():
    """results/twins holds a finished run of the panel's setting for every cell of the grid,
    on values the live sliders take, with per-layer cosines and provenance."""
    from gtp.book.panels_training import DEFAULTS, TrainingPanel, make_config
    from gtp.experiments import panel_runs
    from gtp.maths.paper import find_row
    panel = TrainingPanel()
    row = find_row(DEFAULTS["dataset"], tuple(map(int, DEFAULTS["network"].split("-"))))
    assert float(row.tau) in panel_runs.TAUS and float(row.eta) in panel_runs.ETAS
    assert set(panel_runs.TAUS) <= set(panel.tau._options_values)
    assert set(panel_runs.ETAS) <= set(panel.eta._options_values)
    assert panel_runs.missing_cells() == []
    for tau in panel_runs.TAUS:
        for eta in panel_runs.ETAS:
            path = Path(panel_runs.cell_path(tau, eta))
            assert path.parent == ROOT / "results" / "twins"
            rec = panel_runs.load_cell(tau, eta)
            cfg = make_config(panel_runs.settings(tau, eta))
            assert rec["config"] == json.loads(json.dumps(cfg.to_dict())), path.name
            assert rec["status"] in ("finished", "diverged") and "weights" not in rec
            if rec["status"] == "finished":
                assert [e["epoch"] for e in rec["epochs"]] == list(range(cfg.epochs + 1))
                assert all(len(e["cos_batch"]) == len(cfg.sizes) - 1 for e in rec["epochs"])
            prov = rec["provenance"]
            for key in ("git_commit", "command", "created", "cpu", "platform", "numpy_version",
                        "gtp_version"):
                assert prov.get(key), f"{path.name}: provenance without {key}"
            assert "twins-precompute" in prov["command"]


def test_panel_runs_precompute_writes_and_resumes(tmp_path):
    from gtp.experiments import panel_runs
    rng = np.random.default_rng(0)
    split = lambda n: (rng.random((n, 784)).astype(np.float32), rng.integers(0, 10, n))  # noqa: E731
    data = {"train": split(60), "validation": split(20), "test": split(20)}
    logs = []
    paths = panel_runs.precompute(taus=(400.0,), etas=(0.01,), root=tmp_path, data=data,
                                  log=logs.append, command="test")
    rec = json.loads(Path(paths[0]).read_text())
    assert Path(paths[0]) == tmp_path / "twins" / "mnist-784-100-10-sigmoid-gtp-zero-tau400-eta0.01-s0.json"
    assert rec["status"] == "finished" and rec["provenance"]["command"] == "test"
    assert rec["panel_settings"]["tau"] == 400.0 and rec["data"]["n_train"] == 60
    stamp = Path(paths[0]).stat().st_mtime_ns
    panel_runs.precompute(taus=(400.0,), etas=(0.01,), root=tmp_path, data=data,
                          log=logs.append, command="test")
    assert Path(paths[0]).stat().st_mtime_ns == stamp and logs[-1].endswith("done already")
    assert panel_runs.missing_cells((400.0,), (0.01, 0.1), root=tmp_path) == [(400.0, 0.1)]
    with pytest.raises(FileNotFoundError, match="python -m gtp run twins"):
        panel_runs.load_cell(400.0, 0.1, root=tmp_path)


def test_sensitivity_twin_of_per_layer_maps():
    from gtp.experiments import sensitivity_grids as sens
    g = sens.load("mnist-784-100-100-10-sigmoid-per-layer-tau-eta0.001")
    spec = twin_specs.sensitivity_spec({"s": g}, paper=(50.0, 50.0), name="pl")
    assert [c.name for c in spec.controls] == ["tau1", "tau2"]
    assert spec.defaults == {"tau1": 50.0, "tau2": 50.0}
    cell = next(c for c in g["cells"] if c["tau"] == [1.0, 400.0])
    fr = spec.frame({"tau1": 1.0, "tau2": 400.0})
    assert fr.key == f"validation accuracy {100 * cell['val_acc']:.1f}%"
    assert sens.find_cell(g, 1.0, 400.0) is cell and sens.find_cell(g, 400.0, 1.0) is not cell
    with pytest.raises(ValueError, match="one kind"):
        twin_specs.sensitivity_spec({"s": g, "m": sens.load("mnist-784-100-10-sigmoid")})


def test_sensitivity_twin_reads_the_cell():
    from gtp.experiments import sensitivity_grids as sens
    g = sens.load("mnist-784-100-10-sigmoid")
    spec = twin_specs.sensitivity_spec({"m": g}, paper=sens.paper_setting("mnist", (784, 100, 10)))
    assert spec.defaults == {"tau": 400.0, "eta": 0.01}
    cell = next(c for c in g["cells"] if c["tau"] == 400.0 and c["eta"] == 0.01)
    assert spec.frame(spec.defaults).key == f"validation accuracy {100 * cell['val_acc']:.1f}%"
    # several maps: the cell's curve in each (no menu), its accuracy in each
    fashion = sens.load("fashion-mnist-784-100-10-sigmoid")
    two = twin_specs.sensitivity_spec({"m": g, "f": fashion})
    assert [c.name for c in two.controls] == [c.name for c in spec.controls] == ["tau", "eta"]
    other = next(c for c in fashion["cells"] if c["tau"] == 400.0 and c["eta"] == 0.01)
    fr = two.frame(two.defaults)
    assert fr.key == (f"validation accuracy: m {100 * cell['val_acc']:.1f}%; "
                      f"f {100 * other['val_acc']:.1f}%")
    assert not np.array_equal(twins.decode_pixels(fr.png),
                              twins.decode_pixels(spec.frame(spec.defaults).png))


# --------------------------------------------------------------------------- the build
def test_site_report_applies_the_budgets(tmp_path):
    head = ('<div class="gtp-twin" id="twin-x" data-frames="3" data-bytes="1000" '
            'data-seconds="1.50"><script class="gtp-twin-data">')
    (tmp_path / "small.html").write_text(head)
    (tmp_path / "big.html").write_text(head + "x" * (twins.PAGE_BUDGET + 1))
    (tmp_path / "small.ipynb").write_text(json.dumps({"html": head}))
    (tmp_path / "plain.html").write_text("<p>no twin</p>")
    lines, problems = twins.site_report(tmp_path)
    assert len(lines) == 4 and "small.html" in lines[1] and "3 frames" in lines[1]
    assert "small.ipynb" in lines[2] and "took 3 s" in lines[-1]
    assert len(problems) == 1 and "big.html" in problems[0] and "3 MB budget" in problems[0]
    monkey = twins.SITE_BUDGET
    try:
        twins.SITE_BUDGET = twins.PAGE_BUDGET
        assert len(twins.site_report(tmp_path)[1]) == 2
    finally:
        twins.SITE_BUDGET = monkey


def test_stability_grid_twin_crosses_the_limit():
    spec = twin_specs.stability_grid_spec(w=2.0, y_forward=0.1, label=0.8)
    keys = {f: spec.frame({"fraction": f, "steps": 60}).key for f in (0.25, 1.1, 2.5)}
    assert "converged" in keys[0.25] and "oscillating" in keys[1.1] and "diverged" in keys[2.5]


def test_book_site_drops_dead_widget_state():
    sys.path.insert(0, str(ROOT / "_ext"))
    import book_site

    class JS(str):
        def __new__(cls, name, **attributes):
            js = super().__new__(cls, name)
            js.attributes = attributes
            return js
    state = JS("", type="application/vnd.jupyter.widget-state+json", body="{}")
    ctx = {"script_files": [JS("_static/twin.js"), state, JS("x.js", type="module")]}
    book_site.drop_widget_state(None, "p", "page.html", ctx, None)
    assert ctx["script_files"] == ["_static/twin.js", "x.js"]
