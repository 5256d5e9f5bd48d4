"""Interactive panel of the Initialisation part.

``InitialisationPanel``: fan-in N, depth, input distribution, initialisation scheme (and
whether the first layer uses measured input statistics, and the activations) ->
histograms of the hidden outputs and a table of predicted against measured variances,
layer by layer.  The computation is ``panel_statistics`` (a plain function); the panel
only draws it.  Tests drive the panel by setting ``.value`` on its controls.  It is a
``Panel``: redraws are serialised (the last value set wins).
"""
import ipywidgets as widgets
import numpy as np

from ..maths import initialisation as init
from . import figures_initialisation as figs
from .figure_style import png_bytes
from .panel_base import Panel

__all__ = ["SYNTHETIC_INPUTS", "sample_inputs", "panel_statistics", "InitialisationPanel",
           "initialisation_panel"]

SYNTHETIC_INPUTS = ("uniform [0, 1]", "binary {0, 1}", "sparse (80% zeros)")
SCHEMES = ("paper", "paper-printed", "paper-exact", "glorot", "he", "normal")


def sample_inputs(name, n, dim, rng):
    """``n`` synthetic inputs of ``dim`` features in [0, 1]: uniform (eq. 30's assumption),
    binary with p = 1/2, or sparse (each feature 0 with probability 0.8, else uniform)."""
    if name == "uniform [0, 1]":
        return rng.random((n, dim))
    if name == "binary {0, 1}":
        return (rng.random((n, dim)) < 0.5).astype(float)
    if name == "sparse (80% zeros)":
        return rng.random((n, dim)) * (rng.random((n, dim)) < 0.2)
    raise ValueError(f"inputs: expected one of {SYNTHETIC_INPUTS}, got {name!r}")


def panel_statistics(fan_in, depth, inputs, scheme, data_aware=False, acts="sigmoid",
                     datasets=None, replicates=4, per_replicate=64, seed=0):
    """Everything the panel shows, for ``depth`` hidden layers of ``fan_in`` neurons.

    ``inputs`` is a name of ``SYNTHETIC_INPUTS`` (then the input has ``fan_in`` features)
    or a key of ``datasets`` (a dict of arrays (n, n_0); the first layer's fan-in is then
    n_0).  ``data_aware`` gives the first layer the measured (mean, variance) of the
    inputs (only for the paper's schemes).  Returns a dict with ``sizes``, ``variances``,
    ``pred`` and ``mc`` (as ``init.propagate_moments`` / ``init.monte_carlo_moments``, in
    float32), ``ys`` (hidden outputs of the first replicate) and ``input_stats``.
    """
    rng = np.random.default_rng(seed)
    n = replicates * per_replicate
    if datasets and inputs in datasets:
        X = np.asarray(datasets[inputs], dtype=np.float64)
        X = X[rng.choice(len(X), size=min(n, len(X)), replace=False)]
    else:
        X = sample_inputs(inputs, n, int(fan_in), rng)
    sizes = [X.shape[1]] + [int(fan_in)] * int(depth) + [10]
    stats = init.input_statistics(X) if data_aware else None
    if stats is not None and not scheme.startswith("paper"):
        stats = None
    variances = init.scheme_variances(sizes, scheme, acts=acts, input_stats=stats)
    pred = init.propagate_moments(sizes, variances, acts, np.mean(X * X, axis=1),
                                  float(np.mean(np.var(X, axis=0))))
    mc = init.monte_carlo_moments(sizes, variances, X, acts, replicates,
                                  rng=np.random.default_rng([seed, 1]), dtype=np.float32,
                                  keep_outputs=True)
    return {"sizes": sizes, "variances": variances, "pred": pred, "mc": mc, "ys": mc["ys"][:-1],
            "input_stats": init.input_statistics(X), "data_aware": stats is not None}


def _table_html(r):
    """Predicted against measured moments, one row per hidden layer."""
    head = ("<tr><th>layer</th><th>N Var(w)</th><th>Var(z) pred.</th><th>Var(y) delta (eq. 18)</th>"
            "<th>Var(y) exact pred.</th><th>Var(y) Monte Carlo (95% CI)</th>"
            "<th>input-driven share</th></tr>")
    rows = []
    p, m = r["pred"], r["mc"]
    for l in range(len(r["sizes"]) - 2):
        share = m["var_y_input"][l] / m["var_y"][l] if m["var_y"][l] > 0 else float("nan")
        delta = p["var_y_delta"][l]
        rows.append(
            f"<tr><td>{l + 1}</td><td>{r['sizes'][l] * r['variances'][l]:.3f}</td>"
            f"<td>{p['var_z'][l]:.4g}</td>"
            f"<td>{'n/a (ReLU)' if np.isnan(delta) else f'{delta:.4g}'}</td>"
            f"<td>{p['var_y'][l]:.4g}</td>"
            f"<td>{m['var_y'][l]:.4g} ± {m['var_y_ci'][l]:.2g}</td><td>{share:.1e}</td></tr>")
    return ("<table style='font-size:90%;border-collapse:collapse' border='1' cellpadding='3'>"
            + head + "".join(rows) + "</table>")


class InitialisationPanel(Panel):
    """Controls -> ``panel_statistics`` -> histograms and a table.

    Attributes: ``fan_in``, ``depth``, ``inputs``, ``scheme``, ``data_aware``, ``acts``
    (the controls); ``message`` (HTML: a summary, or what went wrong), ``table`` (HTML),
    ``output`` (an Image widget with the histograms), ``result`` (the last dict of
    ``panel_statistics``, or ``None`` after a failure) and ``widget`` (the whole panel).
    """

    def __init__(self, datasets=None, fan_in=300, depth=4, inputs="uniform [0, 1]",
                 scheme="paper", acts="sigmoid"):
        super().__init__()
        self.datasets = dict(datasets or {})
        style = {"description_width": "110px"}
        lay = widgets.Layout(width="380px")
        self.fan_in = widgets.IntSlider(value=fan_in, min=10, max=500, step=10,
                                        description="fan-in N", style=style, layout=lay)
        self.depth = widgets.IntSlider(value=depth, min=1, max=10, description="hidden layers",
                                       style=style, layout=lay)
        self.inputs = widgets.Dropdown(options=list(SYNTHETIC_INPUTS) + list(self.datasets),
                                       value=inputs, description="inputs", style=style,
                                       layout=lay)
        self.scheme = widgets.Dropdown(options=[(figs.SCHEME_LABELS[s], s) for s in SCHEMES],
                                       value=scheme, description="initialisation", style=style,
                                       layout=lay)
        self.data_aware = widgets.Checkbox(value=False, description="first layer from measured "
                                           "input statistics", indent=False)
        self.acts = widgets.ToggleButtons(options=[("sigmoid everywhere", "sigmoid"),
                                                   ("ReLU first layer", "paper")], value=acts)
        self.message = widgets.HTML()
        self.table = widgets.HTML()
        self.output = widgets.Image(format="png", layout=widgets.Layout(max_width="760px"))
        self.result = None
        for c in self.controls:
            c.observe(self.redraw, names="value")
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox([self.fan_in, self.depth, self.inputs]),
                          widgets.VBox([self.scheme, self.data_aware, self.acts])]),
            self.message, self.output, self.table])
        self.redraw()

    @property
    def controls(self):
        return (self.fan_in, self.depth, self.inputs, self.scheme, self.data_aware, self.acts)

    def show_error(self, err):
        self.result = None
        super().show_error(err)
        self.table.value = ""

    def draw(self):
        """Recompute and redraw (a failure goes to ``show_error``, never to the notebook)."""
        r = panel_statistics(self.fan_in.value, self.depth.value, self.inputs.value,
                             self.scheme.value, self.data_aware.value, self.acts.value,
                             self.datasets)
        png = png_bytes(figs.widget_histograms(r["ys"], self.acts.value))
        self.result = r
        self.output.value = png
        m, v = r["input_stats"]
        first = "measured input statistics" if r["data_aware"] else \
            "uniform-input assumption (eq. 30)" if self.scheme.value.startswith("paper") else \
            "its own rule"
        self.message.value = (
            f"Network {'-'.join(map(str, r['sizes']))}; inputs: mean {m:.3f}, variance "
            f"{v:.3f} (uniform: 0.500, 0.083); first layer set by {first}. "
            f"Monte Carlo: 4 independent weight draws x 64 inputs.")
        self.table.value = _table_html(r)


def initialisation_panel(datasets=None, **kwargs):
    """Build an ``InitialisationPanel`` and return it (display the panel)."""
    return InitialisationPanel(datasets, **kwargs)
