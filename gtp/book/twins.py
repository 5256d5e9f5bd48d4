"""Static twins of the book's interactive panels: they work in the rendered page, without a
kernel, a server or the network.

A twin is the live panel's figure drawn, when the book is built, for every point of a small
grid of control values (at most two sliders, plus a few precomputed choices), by the SAME
``gtp.figures`` functions and PNG encoder the live panel uses.  Each frame is stored in the
smallest *lossless* encoding (WebP lossless, PNG, or palette PNG when the figure has at most
256 colours), so a frame decodes to exactly the pixels the live panel shows.  The frames,
their alt text (the values and the frame's key number) and the readouts go into one
self-contained HTML block; ``_static/twin.js`` (served by the site, no external code) turns
its range inputs and selects into a panel that swaps frames.

A chapter displays a panel with ``with_twin(panel.widget, spec)``: a notebook shows the live
widget (JupyterLab and Colab render the widget view), the HTML build shows the ``text/html``
twin in the same place (``_config.yml`` gives ``text/html`` priority over the widget view
for the html builder).  Frames are drawn only in a book build (``_ext/book_site.py`` sets
``GTP_TWINS=1`` for the kernels it starts, or pass ``twin=True``), so a reader running
the chapter live does not wait for them; the execution cache keeps them between builds.  The
cache is keyed on the chapter's code cells only: after a change in ``gtp/`` that alters a
panel's frames, rebuild with ``make clean`` (or ``jcache notebook -p _build/.jupyter_cache
invalidate book/<chapter>.md`` and touch the chapter).

One spec function per panel (``target_convergence_spec``, ``cosine_spec``,
``initialisation_spec``, ``training_spec``, ``training_grid_spec``, ``sensitivity_spec``)
reads the panel's own labels and defaults and names the grid; every grid holds the panel's
default values and, where they fit the slider's range, the paper's values.  The training
panel's twins read stored runs (``results/table*/`` and, for its tau x eta grid,
``results/twins/``, written by ``python -m gtp twins-precompute``, see ``gtp.panel_runs``).
"""
import base64
import html
import io
import itertools
import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .figures.style import png_bytes
from .paper import ROWS

__all__ = ["Control", "Frame", "TwinSpec", "encode", "decode_pixels", "render", "twin_html",
           "Twin", "with_twin", "static_twin", "building", "target_convergence_spec", "cosine_spec",
           "initialisation_spec", "training_spec", "training_grid_spec", "sensitivity_spec",
           "stability_grid_spec",
           "site_report",
           "PAPER_TAUS", "PAPER_ETAS", "NOTE", "NOTE_STATIC"]

#: the paper's tau and eta values (Tables 1-3)
PAPER_TAUS = tuple(sorted({float(r.tau) for r in ROWS}, reverse=True))
PAPER_ETAS = tuple(sorted({float(r.eta) for r in ROWS}, reverse=True))
NOTE = ("Static copy of the panel: every frame was drawn when the book was built, with the "
        "panel's own code. The full panel runs live from the launch button (the rocket icon at "
        "the top of the page).")
#: the note of a twin of a static figure (no live panel)
NOTE_STATIC = ("Every frame was drawn when the book was built. In a live notebook (the launch "
               "button, the rocket icon at the top of the page) the code named above draws any "
               "setting.")
#: budgets of the issue: bytes of one page, and of all twins of the site
PAGE_BUDGET, SITE_BUDGET = 3_000_000, 25_000_000
ENV = "GTP_TWINS"


def _close(fig):
    import matplotlib.pyplot as plt
    plt.close(fig)


# --------------------------------------------------------------------------- the spec
@dataclass(frozen=True)
class Control:
    """One control of a twin: a range input over ``values`` (``kind="range"``) or a select
    (``kind="select"``); ``labels`` are the shown texts (default: ``fmt`` of the values)."""
    name: str
    label: str
    values: tuple
    default: object
    kind: str = "range"
    labels: tuple = ()
    fmt: str = "{:g}"

    def __post_init__(self):
        if self.kind not in ("range", "select"):
            raise ValueError(f"Control {self.name!r}: kind must be 'range' or 'select', "
                             f"got {self.kind!r}")
        if not self.values:
            raise ValueError(f"Control {self.name!r}: give at least one value")
        if self.default not in self.values:
            raise ValueError(f"Control {self.name!r}: the default {self.default!r} is not in "
                             f"the grid {self.values!r}; add it (grids hold the panel's defaults)")
        if self.labels and len(self.labels) != len(self.values):
            raise ValueError(f"Control {self.name!r}: {len(self.labels)} labels for "
                             f"{len(self.values)} values")

    def text(self, value):
        """The shown text of ``value``."""
        if self.labels:
            return self.labels[self.values.index(value)]
        return self.fmt.format(value)


@dataclass
class Frame:
    """One drawn frame: ``png`` (the live panel's encoder output) and ``key`` (the frame's key
    number in words, e.g. "converged, final error 2e-09")."""
    png: bytes
    key: str


@dataclass
class TwinSpec:
    """A twin: ``name`` (an HTML id), ``title``, ``controls`` (at most two ranges) and
    ``frame(values) -> Frame`` (``values`` maps control names to values)."""
    name: str
    title: str
    controls: tuple
    frame: object
    note: str = NOTE
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if sum(c.kind == "range" for c in self.controls) > 2:
            raise ValueError(f"twin {self.name!r}: at most two sliders per figure")
        if not re.fullmatch(r"[a-z][a-z0-9-]*", self.name):
            raise ValueError(f"twin name {self.name!r}: use lower-case letters, digits and '-'")

    @property
    def defaults(self):
        return {c.name: c.default for c in self.controls}

    def points(self):
        """Every point of the grid, row-major (the last control varies fastest)."""
        for combo in itertools.product(*(c.values for c in self.controls)):
            yield dict(zip((c.name for c in self.controls), combo))

    def describe(self, values):
        """"tau = 5, steps = 25": the values as the readout and the alt text name them."""
        return ", ".join(f"{c.label} = {c.text(values[c.name])}" for c in self.controls)


# --------------------------------------------------------------------------- encoding
def decode_pixels(data):
    """RGBA pixels (uint8 array) of encoded image bytes (PNG or WebP)."""
    from PIL import Image
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGBA"))


def encode(png):
    """``(mime, bytes)``: the smallest lossless encoding of ``png`` among WebP lossless,
    the PNG itself and, when the image has at most 256 colours, palette PNG.  Lossless, so a
    frame shows exactly the live panel's pixels (a quantised palette would not)."""
    from PIL import Image
    with Image.open(io.BytesIO(png)) as im:
        im = im.convert("RGBA")
    options = [("image/png", png)]
    buf = io.BytesIO()        # method 1: within 1% of the smallest, ten times faster
    im.save(buf, "WEBP", lossless=True, quality=50, method=1, exact=True)
    options.append(("image/webp", buf.getvalue()))
    if im.getcolors(256) is not None:
        buf = io.BytesIO()
        im.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(buf, "PNG", optimize=True)
        if np.array_equal(decode_pixels(buf.getvalue()), np.asarray(im)):
            options.append(("image/png", buf.getvalue()))
    return min(options, key=lambda o: len(o[1]))


def render(spec):
    """Draw every frame of ``spec``: a dict with ``frames`` (per grid point: ``src`` data
    URI, ``alt`` and ``readout``), ``default`` (index of the default frame), ``bytes``
    (encoded image bytes) and ``seconds`` (time to draw them)."""
    t0 = time.perf_counter()
    points = list(spec.points())
    default = points.index(spec.defaults)
    frames, total = [None] * len(points), 0
    # The default first: a panel draws its figure afresh at its defaults, then moves it.
    for k in [default] + [k for k in range(len(points)) if k != default]:
        values = points[k]
        fr = spec.frame(values)
        mime, data = encode(fr.png)
        total += len(data)
        described = spec.describe(values)
        frames[k] = {"src": f"data:{mime};base64," + base64.b64encode(data).decode("ascii"),
                     "alt": f"{spec.title}: {described}; {fr.key}.",
                     "readout": f"{described}: {fr.key}"}
    return {"frames": frames, "default": default, "bytes": total,
            "seconds": time.perf_counter() - t0}


def twin_html(spec, rendered=None):
    """The twin of ``spec`` as one self-contained HTML block (needs ``_static/twin.js``)."""
    r = rendered or render(spec)
    first = r["frames"][r["default"]]
    idx = {c.name: c.values.index(c.default) for c in spec.controls}
    rows = []
    for c in spec.controls:
        cid = f"twin-{spec.name}-{c.name}"
        if c.kind == "range":
            rows.append(
                f'<div class="gtp-twin-row"><label for="{cid}">{html.escape(c.label)}</label>'
                f'<input type="range" id="{cid}" data-control="{html.escape(c.name)}" min="0" '
                f'max="{len(c.values) - 1}" step="1" value="{idx[c.name]}" '
                f'aria-valuetext="{html.escape(c.text(c.default))}">'
                f'<output for="{cid}">{html.escape(c.text(c.default))}</output></div>')
        else:
            opts = "".join(f'<option value="{k}"{" selected" if k == idx[c.name] else ""}>'
                           f'{html.escape(c.text(v))}</option>' for k, v in enumerate(c.values))
            rows.append(f'<div class="gtp-twin-row"><label for="{cid}">{html.escape(c.label)}'
                        f'</label><select id="{cid}" data-control="{html.escape(c.name)}">'
                        f'{opts}</select></div>')
    data = {"name": spec.name,
            "controls": [{"name": c.name, "label": c.label,
                          "texts": [c.text(v) for v in c.values]} for c in spec.controls],
            "frames": r["frames"]}
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return (f'<div class="gtp-twin" id="twin-{spec.name}" data-frames="{len(r["frames"])}" '
            f'data-bytes="{r["bytes"]}" data-seconds="{r["seconds"]:.2f}">'
            f'<p class="gtp-twin-note">{html.escape(spec.note)}</p>'
            f'<div class="gtp-twin-controls">{"".join(rows)}</div>'
            f'<img class="gtp-twin-frame" src="{first["src"]}" alt="{html.escape(first["alt"])}">'
            f'<p class="gtp-twin-readout" aria-live="polite">{html.escape(first["readout"])}</p>'
            f'<script type="application/json" class="gtp-twin-data">{payload}</script></div>')


# --------------------------------------------------------------------------- display
def building():
    """True inside a book build (``_ext/book_site.py`` sets ``GTP_TWINS=1``)."""
    return os.environ.get(ENV, "") not in ("", "0")


class Twin:
    """A live widget and its static twin in one display: ``_repr_mimebundle_`` is the
    widget's bundle plus the twin's ``text/html`` (drawn once, on first display)."""

    def __init__(self, widget, spec, twin=None):
        self.widget, self.spec = widget, spec
        self.twin = building() if twin is None else twin
        self._html = None

    @property
    def html(self):
        if self._html is None:
            self._html = twin_html(self.spec)
        return self._html

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.widget is None:        # a twin of a static figure: nothing live to show
            data, meta = {"text/plain": f"[{self.spec.title}: an explorer on the book's web "
                                        f"page]"}, {}
        else:
            bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
            data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})
            data = dict(data or {})
        if self.twin:
            data["text/html"] = self.html
        return data, meta


def with_twin(widget, spec, twin=None):
    """Display ``widget`` (live) with the static twin of ``spec`` (rendered pages)."""
    return Twin(widget, spec, twin)


def static_twin(spec, twin=None):
    """A twin without a live panel (e.g. choosing a cell of a static map)."""
    return Twin(None, spec, twin)


# --------------------------------------------------------------------------- the panels
def _merge(*groups):
    """Sorted union of value groups (floats rounded to 4 significant digits)."""
    out = set()
    for g in groups:
        out.update(float(f"{v:.4g}") for v in g)
    return tuple(sorted(out))


def _on_slider(slider, values):
    """``values`` as the live ``LogSlider`` would take them (nearest option, in range), so
    every frame is a setting the live panel can show."""
    opts = slider._options_values
    return [min(opts, key=lambda o: abs(math.log(o / v))) for v in values
            if slider.min <= v <= slider.max]


def _euler_controls(panel, taus, steps, starts):
    """The twin's controls of ``widgets.theory.euler_controls`` (tau, steps, start), with
    the live controls' labels and defaults."""
    return (Control("tau", panel.tau.description, taus, _merge([panel.tau.value])[0]),
            Control("steps", panel.steps.description, steps, panel.steps.value, fmt="{:d}"),
            Control("start", panel.start.description, starts, panel.start.value,
                    kind="select", fmt="{}"))


def target_convergence_spec(panel, fractions=(0.25, 0.5, 0.9, 1.1, 2.5), steps=(1, 10, 25, 80)):
    """Figure 2 panel: tau (the panel's default, ``fractions`` of the stability limit and the
    paper's values within the slider's range) x Euler steps x start."""
    from . import dynamics
    from .figures import theory as figs
    w, label, y_forward = panel.w.value, panel.label.value, panel.y_forward
    limit = dynamics.two_neuron_stability_limit(w, label)
    taus = _merge([panel.tau.value], _on_slider(panel.tau, [f * limit for f in fractions]),
                  _on_slider(panel.tau, PAPER_TAUS))
    steps = tuple(sorted(set(steps) | {panel.steps.value}))
    starts = tuple(o if isinstance(o, str) else o[1] for o in panel.start.options)
    drawn = []

    def frame(v):
        r = dynamics.euler_vs_exact(w=w, y_forward=y_forward, label=label, tau=v["tau"],
                                    steps=v["steps"], start=v["start"])
        if not drawn:          # as the panel: drawn once, then its artists are moved
            drawn.append(figs.TargetConvergenceFigure(r))
            _close(drawn[0].fig)
        else:
            drawn[0].update(r)
        png = png_bytes(drawn[0].fig)
        err = abs(r["path"][-1] - r["y_star"])
        return Frame(png, f"tau / limit = {r['tau'] / r['tau_limit']:.2f}, {r['status']}, "
                          f"final error |y_T - y*| = {err:.2g}")

    return TwinSpec("target-convergence", "Figure 2, target of the hidden neuron",
                    _euler_controls(panel, taus, steps, starts),
                    frame, meta={"limit": limit, "w": w, "label": label})


def stability_grid_spec(w, y_forward, label, fractions=(0.1, 0.25, 0.5, 0.9, 1.1, 1.5, 2.5, 4.0),
                        steps=(10, 60), default=(0.9, 60)):
    """The stability-limit grid (``figures.theory.tau_grid``): tau as a fraction of the
    limit x the number of Euler steps, one panel of the grid per frame."""
    from . import dynamics
    from .figures import theory as figs
    limit = dynamics.two_neuron_stability_limit(w, label)

    def frame(v):
        fig = figs.tau_grid((v["fraction"],), steps=v["steps"], w=w, y_forward=y_forward,
                            label=label)
        png = png_bytes(fig)
        _close(fig)
        r = dynamics.euler_vs_exact(w=w, y_forward=y_forward, label=label,
                                    tau=v["fraction"] * limit, steps=v["steps"])
        return Frame(png, f"tau = {v['fraction'] * limit:.3g}, {r['status']}, final error "
                          f"|y_T - y*| = {abs(r['path'][-1] - r['y_star']):.2g}")

    return TwinSpec("stability-grid", "Crossing the stability limit",
                    (Control("fraction", "τ / limit", tuple(fractions), default[0]),
                     Control("steps", "steps", tuple(steps), default[1], fmt="{:d}")),
                    frame, note=NOTE_STATIC, meta={"limit": limit})


def cosine_spec(panel, taus=(0.1, 1.0, 10.0, 1000.0), steps=(1, 3, 10, 20)):
    """Cosine panel: tau (``taus``, the panel's default and the paper's values) x steps x
    start, for the panel's network and inputs."""
    from . import decomposition
    from .figures import theory as figs
    taus = _merge([panel.tau.value], _on_slider(panel.tau, taus), _on_slider(panel.tau, PAPER_TAUS))
    steps = tuple(sorted(set(steps) | {panel.steps.value}))
    starts = tuple(o if isinstance(o, str) else o[1] for o in panel.start.options)
    cache, drawn = {}, []

    def frame(v):
        if v["start"] not in cache:      # one call per start: every tau and step at once
            cache[v["start"]] = decomposition.cosine_grid(panel.W, panel.X, panel.labels,
                                                          list(taus), list(steps), v["start"])
        cos = cache[v["start"]][steps.index(v["steps"]), taus.index(v["tau"])]
        title = (f"tau = {v['tau']:.3g}, {v['steps']} step{'s' if v['steps'] > 1 else ''}, "
                 f"{v['start']} start")
        if not drawn:
            drawn.append(figs.CosineBarsFigure(cos, title))
            _close(drawn[0].fig)
        else:
            drawn[0].update(cos, title)
        png = png_bytes(drawn[0].fig)
        return Frame(png, "mean cosine with backprop " +
                     ", ".join(f"W_{k} {c:+.3f}" for k, c in enumerate(cos)))

    return TwinSpec("cosine", "Cosine between GTP and backprop updates",
                    _euler_controls(panel, taus, steps, starts),
                    frame)


def initialisation_spec(panel, fan_ins=(10, 100), depths=(1, 10)):
    """Initialisation panel: the two most instructive controls are sliders, fan-in N (the
    variance formulas scale with it) and depth (whether a scheme keeps the variance from
    layer to layer); the scheme is a select, and so is a short list of (inputs, activations)
    pairs: the panel's own, the paper's ReLU first layer, and the first real data set the
    panel holds.  The data-aware first layer stays at the panel's value."""
    from .figures import initialisation as figs
    from .widgets.initialisation import panel_statistics
    fan_ins = tuple(sorted(set(fan_ins) | {panel.fan_in.value}))
    depths = tuple(sorted(set(depths) | {panel.depth.value}))
    schemes = tuple(o[1] for o in panel.scheme.options)
    names = tuple(o[0] for o in panel.scheme.options)
    act_names = {o[1]: o[0] for o in panel.acts.options}
    other_acts = next(a for a in act_names if a != panel.acts.value)
    pairs = [(panel.inputs.value, panel.acts.value), (panel.inputs.value, other_acts)]
    pairs += [(name, panel.acts.value) for name in list(panel.datasets)[:1]]
    setups = tuple(f"{i}|{a}" for i, a in pairs)
    setup_labels = tuple(f"{i}, {act_names[a]}" for i, a in pairs)
    data_aware = panel.data_aware.value

    def frame(v):
        inputs, acts = v["setup"].split("|")
        r = panel_statistics(v["fan_in"], v["depth"], inputs, v["scheme"], data_aware, acts,
                             panel.datasets)
        fig = figs.widget_histograms(r["ys"], acts)
        png = png_bytes(fig)
        _close(fig)
        m, p = r["mc"], r["pred"]
        return Frame(png, f"last hidden layer Var(y) measured {m['var_y'][-1]:.4g} "
                          f"(predicted {p['var_y'][-1]:.4g}; U(y) has 0.05)")

    return TwinSpec("initialisation", "Hidden outputs at initialisation",
                    (Control("fan_in", panel.fan_in.description, fan_ins, panel.fan_in.value,
                             fmt="{:d}"),
                     Control("depth", panel.depth.description, depths, panel.depth.value,
                             fmt="{:d}"),
                     Control("scheme", panel.scheme.description, schemes, panel.scheme.value,
                             kind="select", labels=names),
                     Control("setup", "inputs, activations", setups, setups[0], kind="select",
                             labels=setup_labels)),
                    frame)


def _run_key(rec):
    """The key number of a stored run of the training panel, as its status line words it:
    the outcome, the final test accuracy and the last per-layer cosines with backprop."""
    last = rec["epochs"][-1]
    cfg = rec["config"]
    if rec["status"] == "diverged":
        return f"diverged after {len(rec['epochs']) - 1} epochs ({rec['message']})"
    key = f"{rec['status']} after {last['epoch']} epochs, final test accuracy " \
          f"{100 * last['test_acc']:.2f}%"
    cos = last.get("cos_batch")
    if cos and cfg.get("tau") is not None:
        key += ", cosine with backprop " + ", ".join(f"W_{k} {c:+.3f}" for k, c in enumerate(cos))
    return key


def _panel_frame(rec):
    """The training panel's figure of a stored run, drawn as ``TrainingPanel.draw`` does."""
    from .figures import training as F
    from .figures.style import DRAW_LOCK
    from .widgets.training import run_title
    cfg = rec["config"]
    with DRAW_LOCK:
        fig = F.training_figure(list(rec["epochs"]),
                                title=run_title(cfg["dataset"], cfg["sizes"], cfg["rule"]))
    return png_bytes(fig)


def training_spec(panel, root=None, seed=0):
    """Training panel: every network of the paper (Tables 1-3) x rule (GTP with the printed
    settings, GTP tuned on validation, backprop), read from the committed result files of
    ``results/v1/table*/`` (seed ``seed``) and drawn by the panel's own figure function."""
    from .paper import V1_ROOT
    root = Path(root or V1_ROOT)
    from .learning_rules import baseline, studied
    from .report import kind_label
    from .reproduce import run_id
    # the runs shown: the studied rule with the printed and the tuned settings, the baseline
    kinds = ((studied().name, "printed"), (studied().name, "tuned"), (baseline().name, "printed"))
    variants = tuple((f"{rule}-{variant}", kind_label((rule, variant))) for rule, variant in kinds)

    def path(r, v):
        rule, variant = v.rsplit("-", 1)
        return root / f"table{r.table}" / f"{run_id(r, rule, seed, variant)}.json"

    rows = [r for r in ROWS if all(path(r, v).exists() for v, _ in variants)]
    if not rows:
        raise FileNotFoundError(f"no result files of Tables 1-3 under {root}: run "
                                f"`python -m gtp reproduce` (see results/v1/README.md)")
    keys = tuple(f"{r.dataset} {r.net}" for r in rows)
    labels = tuple(f"{r.dataset} {r.net} (Table {r.table}: τ={float(r.tau):g}, "
                   f"η={float(r.eta):g})" for r in rows)
    s = panel.settings()
    default_net = f"{s['dataset']} {s['network']}"

    def frame(v):
        r = rows[keys.index(v["network"])]
        rec = json.loads(path(r, v["rule"]).read_text())
        cfg = rec["config"]
        key = (f"tau {cfg['tau']:g}, eta {cfg['eta']:g}, activations {cfg['acts']}, "
               f"{_run_key(rec)}")
        return Frame(_panel_frame(rec), key)

    return TwinSpec("training", "Training run, learning curves and per-layer cosines",
                    (Control("network", "network", keys, default_net, kind="select",
                             labels=labels),
                     Control("rule", "rule", tuple(v for v, _ in variants), variants[0][0],
                             kind="select", labels=tuple(t for _, t in variants))),
                    frame, note=NOTE + f" Runs: seed {seed}, read from results/v1/table1-3.")


def training_grid_spec(panel, root=None):
    """Training panel, default network: the tau and eta sliders over the grid of
    ``gtp.panel_runs`` (the panel's default setting run at every cell, stored in
    ``results/twins/``); the frame is the panel's own figure of the chosen run (learning
    curves and per-layer cosines), the key its final accuracy and cosines."""
    from . import panel_runs
    missing = [(t, e) for t in panel_runs.TAUS for e in panel_runs.ETAS
               if not os.path.exists(panel_runs.cell_path(t, e, root))]
    if missing:
        raise FileNotFoundError(f"{len(missing)} precomputed panel runs are missing (e.g. "
                                f"{panel_runs.cell_path(*missing[0], root)}): run "
                                f"`python -m gtp twins-precompute`")

    def frame(v):
        rec = panel_runs.load_cell(v["tau"], v["eta"], root)
        return Frame(_panel_frame(rec), _run_key(rec))

    s = panel_runs.settings(panel.tau.value, panel.eta.value)
    return TwinSpec("training-grid", "Training panel, default network",
                    (Control("tau", panel.tau.description, panel_runs.TAUS, panel.tau.value),
                     Control("eta", panel.eta.description, panel_runs.ETAS, panel.eta.value)),
                    frame, note=NOTE + f" Runs: the panel's default setting ({s['epochs']} "
                                       f"epochs of {s['n_train']:,} examples, seed "
                                       f"{s['seed']}) at each τ and η, from results/twins/.")


def sensitivity_spec(grids, paper=None, name="sensitivity", title="Sensitivity map"):
    """Sensitivity maps: two sliders over the cells of ``grids`` (a dict label ->
    ``gtp.sensitivity`` grid, all of one kind and on the same axes): tau and eta for tau x
    eta grids, tau_1 and tau_2 for per-layer grids.  The frame shows the chosen cell's
    validation curve in every map (``figures.training.cell_curve``; the maps themselves are
    the chapter's static figures), its key the cell's accuracy in every map; ``paper``: the
    default cell (row value, column value)."""
    from . import sensitivity as sens
    from .figures import training as F
    labels = tuple(grids)
    kinds = {g["kind"] for g in grids.values()}
    if len(kinds) != 1:
        raise ValueError(f"sensitivity_spec: give grids of one kind, got {sorted(kinds)}")
    rows, cols, _, _ = sens.grid_matrix(grids[labels[0]])
    for lab in labels[1:]:
        if sens.grid_matrix(grids[lab])[:2] != (rows, cols):
            raise ValueError(f"sensitivity_spec: the map {lab!r} has other axes than "
                             f"{labels[0]!r}; give maps of the same grid")
    paper = paper or (400.0, 0.01)
    names, texts = (("tau1", "tau2"), ("τ₁", "τ₂")) if kinds == {"per-layer-tau"} else \
        (("tau", "eta"), ("τ", "η"))

    def outcome(cell):
        if cell is None:
            return "not computed"
        return "diverged" if cell["diverged"] else f"{100 * cell['val_acc']:.1f}%"

    def frame(v):
        r, c = v[names[0]], v[names[1]]
        png = png_bytes(F.cell_curve(grids if len(grids) > 1 else grids[labels[0]], r, c))
        found = [outcome(sens.find_cell(grids[lab], r, c)) for lab in labels]
        if len(labels) == 1:
            key = found[0] if found[0] in ("not computed", "diverged") else \
                f"validation accuracy {found[0]}"
        else:
            key = "validation accuracy: " + "; ".join(f"{lab} {o}" for lab, o in
                                                       zip(labels, found))
        return Frame(png, key)

    return TwinSpec(name, title,
                    (Control(names[0], texts[0], tuple(rows),
                             paper[0] if paper[0] in rows else rows[0]),
                     Control(names[1], texts[1], tuple(cols),
                             paper[1] if paper[1] in cols else cols[0])),
                    frame, note=NOTE_STATIC)


# --------------------------------------------------------------------------- the build
TWIN_TAG = re.compile(r'<div class="gtp-twin" id="twin-([a-z0-9-]+)" data-frames="(\d+)" '
                      r'data-bytes="(\d+)" data-seconds="([\d.]+)"')


def site_report(outdir):
    """Sizes of the built files that hold twins: ``(lines, problems)``, the lines printed by
    the build and the problems the budgets find (3 MB a page; 25 MB for every file holding a
    twin, the pages and their ``.ipynb`` downloads)."""
    lines, problems, total = [], [], 0
    for path in sorted(Path(outdir).rglob("*")):
        if path.suffix not in (".html", ".ipynb") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "gtp-twin-data" not in text:
            continue
        size = path.stat().st_size
        total += size
        rel = path.relative_to(outdir)
        if path.suffix == ".ipynb":
            lines.append(f"twins: {rel}: {size / 1e6:.2f} MB (download with outputs)")
            continue
        parts = "; ".join(f"{n}: {f} frames, {int(b) / 1e6:.2f} MB of images, {float(s):.1f} s"
                          for n, f, b, s in TWIN_TAG.findall(text))
        lines.append(f"twins: {rel}: page {size / 1e6:.2f} MB ({parts})")
        if size > PAGE_BUDGET:
            problems.append(f"{rel} is {size / 1e6:.2f} MB with its twins, over the "
                            f"{PAGE_BUDGET / 1e6:.0f} MB budget: use fewer grid values")
    seconds = sum(float(m[3]) for p in Path(outdir).rglob("*.html")
                  for m in TWIN_TAG.findall(p.read_text(encoding="utf-8", errors="replace")))
    lines.append(f"twins: files holding twins total {total / 1e6:.2f} MB (budget "
                 f"{SITE_BUDGET / 1e6:.0f} MB); drawing the frames took {seconds:.0f} s "
                 f"(cached by the execution cache)")
    if total > SITE_BUDGET:
        problems.append(f"files holding twins total {total / 1e6:.2f} MB, over the "
                        f"{SITE_BUDGET / 1e6:.0f} MB budget")
    return lines, problems


# --------------------------------------------------------------------------- the relatives
def relatives_spec(panel, root=None):
    """Relatives panel (``gtp.widgets.relatives``): the rule (a select, every rule the
    panel offers) x the forward learning rate eta (a slider over ``gtp.relatives_runs.ETAS``,
    the panel's default included), each frame the stored run of ``gtp.relatives_runs``
    (``results/relatives/angles/``) drawn by the panel's own figure function."""
    from . import relatives_runs as RR
    from .figures import relatives as F
    from .widgets.relatives import RULE_OPTIONS, relatives_title
    rules = tuple(n for _, n in RULE_OPTIONS)
    etas = tuple(float(e) for e in RR.ETAS)

    def frame(v):
        rec = RR.load(v["rule"], v["eta"], root)
        png = png_bytes(F.run_figure(rec["epochs"], title=relatives_title(v["rule"], v["eta"])))
        last = rec["epochs"][-1]
        angles = ", ".join(f"W_{l} {a:.0f} degrees" for l, a in enumerate(last.get("angle") or [])
                           if a is not None)
        key = (f"{rec['status']} after {last['epoch']} epochs, validation accuracy "
               f"{100 * last['val_acc']:.2f}%, angle to backprop {angles or 'undefined'}")
        return Frame(png, key)

    return TwinSpec("relatives", "Training with a relative of GTP: accuracy and angles to backprop",
                    (Control("rule", panel.rule.description, rules, panel.rule.value,
                             kind="select", labels=tuple(label for label, _ in RULE_OPTIONS)),
                     Control("eta", panel.eta.description, etas, float(panel.eta.value))),
                    frame, note=NOTE + " Runs: seed 0, read from results/relatives/angles.")
