"""Interactive panels of the Theory part.

``TargetConvergencePanel``: Figure 2 with sliders for tau, the number of Euler
steps, the starting point, the label and the weight; the Euler path is drawn
against the exact solution of eq. 3 and the status (converged, oscillating, ...)
is reported in words.  Every callback is a plain method, so tests drive the panel
by setting ``.value`` and calling ``.click()``.  Both panels are ``Panel``s: redraws are
serialised (the last value set wins).
"""
import ipywidgets as widgets

from ..maths import dynamics
from . import figures_theory as figs
from .figure_style import png_bytes
from .panel_base import Panel, log_slider, paper_values

__all__ = ["euler_controls", "TargetConvergencePanel", "target_convergence_panel",
           "CosinePanel", "cosine_panel"]


def euler_controls(tau, steps, start, tau_max, steps_max, per_decade=100, width="90px"):
    """The three controls both panels share: a log-scale ``tau`` slider (0.1 to
    ``tau_max``, ``per_decade`` values per factor 10, plus the paper's values of tau and
    ``tau`` itself), a ``steps`` slider and the ``start`` toggle (given value first)."""
    style = {"description_width": width}
    lay = widgets.Layout(width="420px")
    others = [s for s in ("activation", "zero") if s != start]
    return (log_slider("tau", tau, 0.1, tau_max, per_decade, exact=paper_values("tau"),
                       style=style, layout=lay),
            widgets.IntSlider(value=steps, min=1, max=steps_max, description="steps",
                              style=style, layout=lay),
            widgets.ToggleButtons(options=[start] + others, value=start,
                                  description="start", style=style))


class TargetConvergencePanel(Panel):
    """Sliders -> ``dynamics.euler_vs_exact`` -> ``figures.theory.target_convergence``.

    Attributes: ``tau``, ``steps``, ``start``, ``label``, ``w`` (the controls),
    ``above_limit`` (a button setting tau to 1.2 x the stability limit),
    ``message`` (an HTML line with the status), ``output`` (an image widget showing the figure),
    ``result`` (the last data dict, or ``None`` after an invalid setting) and
    ``widget`` (the whole panel, to display).
    """

    def __init__(self, w=2.0, y_forward=0.1, label=0.8, tau=5.0, steps=25, start="activation"):
        super().__init__()
        self.y_forward = y_forward
        self.tau, self.steps, self.start = euler_controls(tau, steps, "activation", 10 ** 2.5, 200)
        self.start.value = start
        style = {"description_width": "90px"}
        lay = widgets.Layout(width="420px")
        self.label = widgets.FloatSlider(value=label, min=0.02, max=0.98, step=0.01,
                                         description="label", style=style, layout=lay)
        self.w = widgets.FloatSlider(value=w, min=-6, max=6, step=0.1, description="weight w",
                                     style=style, layout=lay)
        self.above_limit = widgets.Button(description="tau = 1.2 x limit")
        self.below_limit = widgets.Button(description="tau = 0.5 x limit")
        self.message = widgets.HTML()
        self.output = widgets.Image(format="png", layout=widgets.Layout(max_width="760px"))
        self.result = None
        self._figure = None          # drawn once, then its artists are moved
        for c in (self.tau, self.steps, self.start, self.label, self.w):
            c.observe(self.redraw, names="value")
        self.above_limit.on_click(lambda _: self.set_tau_fraction(1.2))
        self.below_limit.on_click(lambda _: self.set_tau_fraction(0.5))
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox([self.tau, self.steps, self.label, self.w]),
                          widgets.VBox([self.start, self.above_limit, self.below_limit])]),
            self.message, self.output])
        self.redraw()

    def set_tau_fraction(self, fraction):
        """Move the tau slider to the value of its grid nearest to ``fraction`` x the
        stability limit (within its range); the message gives the exact ratio run."""
        try:
            limit = dynamics.two_neuron_stability_limit(self.w.value, self.label.value)
        except ValueError as err:
            self.show_error(err)
            return
        self.tau.value = min(max(fraction * limit, self.tau.min), self.tau.max)

    def show_error(self, err):
        self.result = None
        self.message.value = f"<b>Cannot draw:</b> {err}"
        self.output.value = b""

    def draw(self):
        """Recompute the paths and swap a freshly drawn figure into ``output``
        (``ValueError``, e.g. w = 0: no minimiser, goes to ``show_error``)."""
        r = dynamics.euler_vs_exact(w=self.w.value, y_forward=self.y_forward,
                                    label=self.label.value, tau=self.tau.value,
                                    steps=self.steps.value, start=self.start.value)
        self.result = r
        if self._figure is None:
            self._figure = figs.TargetConvergenceFigure(r)
        else:
            self._figure.update(r)
        ratio = r["tau"] / r["tau_limit"]
        self.message.value = (f"tau / limit = {ratio:.2f} (limit 2 / C''(y*) = "
                              f"{r['tau_limit']:.3g}); minimiser y* = {r['y_star']:.4f}; "
                              f"last target = {r['path'][-1]:.4g}: <b>{r['status']}</b>")
        self.output.value = png_bytes(self._figure.fig)   # one swap: never half-drawn


def target_convergence_panel(**kwargs):
    """Build a ``TargetConvergencePanel`` and return it (display the panel)."""
    return TargetConvergencePanel(**kwargs)


class CosinePanel(Panel):
    """Cosine between GTP and backprop updates of every weight matrix, averaged over a few
    inputs, with sliders for tau, the number of Euler steps and the starting point.

    The network (``sizes``, paper initialisation, seed ``seed``) and the inputs (uniform
    on [0, 1], random labels) are fixed when the panel is built.  Attributes: ``tau``,
    ``steps``, ``start`` (controls), ``message``, ``output`` (image), ``cosines`` (the
    last per-layer values) and ``widget``.
    """

    def __init__(self, sizes=(784, 100, 100, 10), n_examples=4, seed=0, tau=50.0, steps=1,
                 start="zero"):
        import numpy as np

        from ..maths.initialisation import init_weights
        super().__init__()
        rng = np.random.default_rng(seed)
        self.W = init_weights(list(sizes), "paper", rng=rng)
        self.X = rng.random((n_examples, sizes[0]))
        self.labels = rng.integers(0, sizes[-1], n_examples)
        self.tau, self.steps, self.start = euler_controls(tau, steps, "zero", 1e3, 20, 20, "60px")
        self.start.value = start
        self.message = widgets.HTML()
        self.output = widgets.Image(format="png", layout=widgets.Layout(max_width="760px"))
        self.cosines = None
        self._figure = None
        for c in (self.tau, self.steps, self.start):
            c.observe(self.redraw, names="value")
        self.widget = widgets.VBox([widgets.HBox([widgets.VBox([self.tau, self.steps]),
                                                  self.start]), self.message, self.output])
        self.redraw()

    def draw(self):
        """Recompute the mean cosines for the current setting and swap in a new image."""
        from ..maths import decomposition
        cos = decomposition.cosine_grid(self.W, self.X, self.labels, [self.tau.value],
                                        [self.steps.value], self.start.value)[0, 0]
        self.cosines = cos
        title = (f"tau = {self.tau.value:.3g}, {self.steps.value} step"
                 f"{'s' if self.steps.value > 1 else ''}, {self.start.value} start")
        if self._figure is None:
            self._figure = figs.CosineBarsFigure(cos, title)
        else:
            self._figure.update(cos, title)
        note = ("" if all(c == c for c in cos) else
                " <b>The targets diverged for some input at this setting.</b>")
        self.message.value = ("mean cosine with backprop per weight matrix: "
                              + ", ".join(f"W_{l}: {c:+.3f}" for l, c in enumerate(cos)) + note)
        self.output.value = png_bytes(self._figure.fig)


def cosine_panel(**kwargs):
    """Build a ``CosinePanel`` and return it (display the panel)."""
    return CosinePanel(**kwargs)
