"""Every panel under concurrent widget messages (JupyterLab may deliver them on a subshell
thread while a button callback runs on the main thread), and the sliders' exact values.

Each test drives a panel from two threads at once, many times, records every image the
panel shows, and asserts that none is blank and that the last one drawn is the one for
the controls' final values.
"""
import io
import threading

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from gtp.book import panel_base as base
from gtp.book import panels_initialisation as wi
from gtp.book import panels_theory as wt
from gtp.book import panels_training as T

PAPER_TAUS = (400.0, 100.0, 50.0, 25.0)
PAPER_ETAS = (0.01, 0.001, 0.0005, 0.0001, 2.5e-05, 5e-06)


def is_blank(png):
    """True for an empty, fully transparent or single-colour image."""
    if not png:
        return True
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    return bool(img[..., 3].max() == 0 or np.all(img == img[0, 0]))


def record_images(image):
    shown = []
    image.observe(lambda change: shown.append(change["new"]), names="value")
    return shown


def in_two_threads(first, second, rounds):
    """Run ``first(i)`` and ``second(i)`` for i < rounds in two threads started together."""
    barrier = threading.Barrier(2)
    errors = []

    def run(fn):
        try:
            barrier.wait(10)
            for i in range(rounds):
                fn(i)
        except Exception as err:             # re-raised in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=run, args=(fn,)) for fn in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)


def test_is_blank_tells_blank_from_drawn():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    from gtp.book.figure_style import png_bytes
    assert not is_blank(png_bytes(fig))
    empty = io.BytesIO()
    Image.new("RGBA", (20, 10), (0, 0, 0, 0)).save(empty, format="png")
    assert is_blank(empty.getvalue()) and is_blank(b"")


def test_one_figure_factory_and_one_encoder():
    from gtp.book.figure_style import COLUMN_WIDTH, figure, png_bytes
    before = set(plt.get_fignums())
    fig, ax = figure(height=2.0, pyplot=False)               # what a panel redraws
    assert set(plt.get_fignums()) == before and tuple(fig.get_size_inches()) == (COLUMN_WIDTH, 2.0)
    ax.plot([0, 1], [1, 0])
    png = png_bytes(fig, dpi=50)
    assert Image.open(io.BytesIO(png)).size == (int(COLUMN_WIDTH * 50), 100) and not is_blank(png)
    fig2, axes = figure(1, 2, pyplot=True)                    # what a chapter shows inline
    assert len(axes) == 2 and fig2.number in plt.get_fignums()
    png_bytes(fig2)                                           # encoded and released from pyplot
    assert fig2.number not in plt.get_fignums()


def test_target_convergence_buttons_and_slider_from_two_threads():
    p = wt.TargetConvergencePanel(steps=60)
    shown = record_images(p.output)
    taus = [o for o in p.tau._options_values if 1 < o < 100]
    # main thread: the buttons; "subshell": the tau slider (its echo) and the steps slider
    in_two_threads(lambda i: (p.above_limit, p.below_limit)[i % 2].click(),
                   lambda i: setattr(p.tau, "value", taus[(7 * i) % len(taus)]), 25)
    p.steps.value = 61                        # the last value set, from one thread
    assert len(shown) > 25 and not any(is_blank(png) for png in shown)
    r = p.result
    assert (r["tau"], r["steps"]) == (p.tau.value, 61) and p.error is None
    assert p.output.value == shown[-1]
    fresh = wt.TargetConvergencePanel(steps=61, tau=p.tau.value)   # same image as a fresh draw
    assert fresh.output.value == p.output.value


def test_cosine_panel_from_two_threads():
    p = wt.CosinePanel(sizes=(12, 6, 4, 3), n_examples=2, tau=50.0)
    shown = record_images(p.output)
    in_two_threads(lambda i: setattr(p.tau, "value", (25.0, 100.0, 400.0)[i % 3]),
                   lambda i: setattr(p.steps, "value", 1 + i % 5), 20)
    in_two_threads(lambda i: setattr(p.start, "value", ("zero", "activation")[i % 2]),
                   lambda i: None, 7)
    assert shown and not any(is_blank(png) for png in shown)
    assert p.error is None
    fresh = wt.CosinePanel(sizes=(12, 6, 4, 3), n_examples=2, tau=p.tau.value,
                           steps=p.steps.value, start=p.start.value)
    np.testing.assert_array_equal(fresh.cosines, p.cosines)
    assert fresh.output.value == p.output.value


def test_initialisation_panel_from_two_threads():
    p = wi.InitialisationPanel(fan_in=20, depth=2)
    shown = record_images(p.output)
    in_two_threads(lambda i: setattr(p.depth, "value", 1 + i % 4),
                   lambda i: setattr(p.scheme, "value", ("glorot", "he", "paper")[i % 3]), 12)
    p.fan_in.value = 30                          # last value
    assert shown and not any(is_blank(png) for png in shown)
    assert p.result["sizes"] == [30] + [30] * p.depth.value + [10] and p.error is None
    fresh = wi.InitialisationPanel(fan_in=30, depth=p.depth.value, scheme=p.scheme.value)
    assert fresh.output.value == p.output.value and fresh.table.value == p.table.value


def test_training_panel_redraws_and_controls_from_two_threads():
    p = T.TrainingPanel(n_train=1000, epochs=1)
    shown = record_images(p.curves)
    entries = [{"epoch": e / 4, "examples": 250 * e, "train_acc": 0.1 + 0.02 * e,
                "val_acc": 0.1 + 0.02 * e, "test_acc": 0.1 + 0.02 * e, "cost": 0.5 - 0.01 * e,
                "running_acc": 0.1 + 0.02 * e, "cos_batch": [0.5, 1.0]} for e in range(12)]

    def epoch(i):                                # the training thread's per-epoch redraw
        p.epochs.append(entries[i])
        p.redraw()

    etas = PAPER_ETAS + (0.002, 0.0316)
    in_two_threads(epoch, lambda i: setattr(p.eta, "value", etas[i % len(etas)]), 12)
    p.tau.value = 25.0
    assert len(shown) >= 1 and not any(is_blank(png) for png in shown)
    assert p.error is None and len(p.epochs) == 12
    assert p.curves.value == shown[-1]
    assert f"τ={25:g}" in p.note.value and f"η={p.eta.value:g}" in p.note.value


def test_redraw_coalesces_and_the_last_value_wins():
    class Slow(base.Panel):
        def __init__(self):
            super().__init__()
            self.value, self.drawn, self.inside = 0, [], 0
            self.gate = threading.Event()

        def draw(self):
            self.inside += 1
            assert self.inside == 1, "two draws at once"
            self.gate.wait(5)
            self.drawn.append(self.value)
            self.inside -= 1

    p = Slow()
    t = threading.Thread(target=p.redraw)
    t.start()
    while not p._drawing:
        pass
    for v in range(1, 30):                       # requests during a draw: none waits
        p.value = v
        assert p.redraw() is False
    p.gate.set()
    t.join(10)
    assert p.drawn == [p.drawn[0], 29] and not p._drawing


def test_an_error_in_draw_is_shown_not_raised():
    class Broken(base.Panel):
        def __init__(self):
            super().__init__()
            import ipywidgets as widgets
            self.message, self.widget = widgets.HTML(), widgets.VBox()

        def draw(self):
            raise FloatingPointError("overflow <here>")

    p = Broken()
    assert p.redraw() is True and isinstance(p.error, FloatingPointError)
    assert "overflow &lt;here&gt;" in p.message.value
    bundle = p._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "text/plain" in bundle


def test_extra_mimebundle_is_the_display_hook():
    p = wt.target_convergence_panel()

    class Twin(wt.TargetConvergencePanel):
        def extra_mimebundle(self):
            return {"text/html": "<p>twin</p>"}

    assert "text/html" not in p._repr_mimebundle_()
    t = Twin()
    b = t._repr_mimebundle_()
    assert b["text/html"] == "<p>twin</p>" and "application/vnd.jupyter.widget-view+json" in b
    plt.close("all")


# ---------------------------------------------------------------- the paper's exact values
def test_log_grid_holds_exact_values_and_round_numbers():
    g = base.log_grid(1e-6, 1.0, 20, PAPER_ETAS)
    assert set(PAPER_ETAS) <= set(g) and g == sorted(set(g))
    assert all(float(f"{v:.3g}") == v for v in g)                    # 3 significant digits
    assert not any(0 < abs(v / e - 1) <= 0.03 for v in g for e in PAPER_ETAS)
    ratios = np.diff(np.log10(g))
    assert ratios.max() < 0.051 + 0.03 and ratios.min() > 0
    with pytest.raises(ValueError, match="lo < hi"):
        base.log_grid(1.0, 0.1)


def test_paper_values_are_the_tables():
    assert base.paper_values("tau") == sorted(PAPER_TAUS)
    assert base.paper_values("eta") == sorted(PAPER_ETAS)


def test_log_slider_snaps_to_its_grid_and_rejects_nonsense():
    s = base.log_slider("tau", 400.0, 1e-2, 1e4, exact=PAPER_TAUS)
    assert s.value == 400.0 and s.label == "400"
    s.value = 398.107                            # what the old slider snapped 400 to
    assert s.value == 400.0
    s.value = 3.0
    assert s.value in s._options_values and abs(np.log10(s.value / 3.0)) <= 0.025
    for bad in (0, -1.0, float("nan"), "x"):
        with pytest.raises(Exception, match="tau: expected a positive number"):
            s.value = bad


@pytest.mark.parametrize("tau", PAPER_TAUS)
@pytest.mark.parametrize("eta", PAPER_ETAS)
def test_training_sliders_take_every_paper_value_and_show_it(tau, eta):
    p = T.TrainingPanel()
    p.tau.value, p.eta.value = tau, eta
    assert (p.tau.value, p.eta.value) == (tau, eta)
    assert (float(p.tau.label), float(p.eta.label)) == (tau, eta)      # readout = what runs
    cfg = T.make_config(p.settings())
    assert (cfg.tau, cfg.eta) == (tau, eta) and f"τ={tau:g}" in p.note.value


def test_training_panel_starts_at_and_follows_the_paper_rows():
    p = T.TrainingPanel()
    assert (p.tau.value, p.eta.value) == (T.DEFAULTS["tau"], T.DEFAULTS["eta"]) == (400.0, 0.01)
    for dataset in T.DATASETS:
        p.dataset.value = dataset
        for net, tau, eta, _table in T.paper_networks(dataset):
            p.network.value = net
            assert (p.tau.value, p.eta.value) == (tau, eta)
            assert (p.tau.label, p.eta.label) == (f"{tau:g}", f"{eta:g}")


def test_theory_panels_start_at_their_values():
    p = wt.cosine_panel(sizes=(12, 6, 4, 3), n_examples=2, tau=50.0)
    assert p.tau.value == 50.0 and p.tau.label == "50"
    for tau in (25.0, 100.0, 400.0):
        p.tau.value = tau
        assert p.tau.value == tau
    q = wt.target_convergence_panel(tau=5.0)
    assert q.tau.value == 5.0 and q.result["tau"] == 5.0
    plt.close("all")
