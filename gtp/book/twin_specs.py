"""The static twins of the book's panels, one spec function per panel: each reads the
live panel's own labels and defaults and names the grid of frames drawn at build time
(``gtp.book.twins`` renders them).  Every grid holds the panel's default values and, where
they fit the slider's range, the paper's values.

Used in: the chapters that show a panel (``with_twin(panel.widget, <name>_spec(panel))``).
"""
import json
import math
import os
from pathlib import Path

from ..maths.paper import ROWS
from .figure_style import png_bytes
from .twins import NOTE, NOTE_STATIC, PAPER_TAUS, Control, Frame, TwinSpec, _close, with_twin

__all__ = ["target_convergence_spec", "cosine_spec", "initialisation_spec", "training_spec",
           "training_grid_spec", "sensitivity_spec", "stability_grid_spec", "relatives_spec",
           "with_twin"]


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
    from ..maths import dynamics
    from . import figures_theory as figs
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
    from ..maths import dynamics
    from . import figures_theory as figs
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
    from ..maths import decomposition
    from . import figures_theory as figs
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
    from . import figures_initialisation as figs
    from .panels_initialisation import panel_statistics
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
    from . import figures_training as F
    from .figure_style import DRAW_LOCK
    from .panels_training import run_title
    cfg = rec["config"]
    with DRAW_LOCK:
        fig = F.training_figure(list(rec["epochs"]),
                                title=run_title(cfg["dataset"], cfg["sizes"], cfg["rule"]))
    return png_bytes(fig)


def training_spec(panel, root=None, seed=0):
    """Training panel: every network of the paper (Tables 1-3) x rule (GTP with the printed
    settings, GTP tuned on validation, backprop), read from the committed result files of
    ``results/v1/table*/`` (seed ``seed``) and drawn by the panel's own figure function."""
    from ..engine.records import V1_ROOT
    root = Path(root or V1_ROOT)
    from ..engine.rules import baseline, studied
    from ..experiments.protocol_v1 import run_id
    from ..reports.tables_v1 import kind_label
    # the runs shown: the studied rule with the printed and the tuned settings, the baseline
    kinds = ((studied().name, "printed"), (studied().name, "tuned"), (baseline().name, "printed"))
    variants = tuple((f"{rule}-{variant}", kind_label((rule, variant))) for rule, variant in kinds)

    def path(r, v):
        rule, variant = v.rsplit("-", 1)
        return root / f"table{r.table}" / f"{run_id(r, rule, seed, variant)}.json"

    rows = [r for r in ROWS if all(path(r, v).exists() for v, _ in variants)]
    if not rows:
        raise FileNotFoundError(f"no result files of Tables 1-3 under {root}: run "
                                f"`python -m gtp run v1` (see results/v1/README.md)")
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
    ``gtp.experiments.panel_runs`` (the panel's default setting run at every cell, stored in
    ``results/twins/``); the frame is the panel's own figure of the chosen run (learning
    curves and per-layer cosines), the key its final accuracy and cosines."""
    from ..experiments import panel_runs
    missing = [(t, e) for t in panel_runs.TAUS for e in panel_runs.ETAS
               if not os.path.exists(panel_runs.cell_path(t, e, root))]
    if missing:
        raise FileNotFoundError(f"{len(missing)} precomputed panel runs are missing (e.g. "
                                f"{panel_runs.cell_path(*missing[0], root)}): run "
                                f"`python -m gtp run twins`")

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
    ``gtp.experiments.sensitivity_grids`` grid, all of one kind and on the same axes): tau and eta for tau x
    eta grids, tau_1 and tau_2 for per-layer grids.  The frame shows the chosen cell's
    validation curve in every map (``figures.training.cell_curve``; the maps themselves are
    the chapter's static figures), its key the cell's accuracy in every map; ``paper``: the
    default cell (row value, column value)."""
    from ..experiments import sensitivity_grids as sens
    from . import figures_training as F
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


# --------------------------------------------------------------------------- the relatives
def relatives_spec(panel, root=None):
    """Relatives panel (``gtp.book.panels_relatives``): the rule (a select, every rule the
    panel offers) x the forward learning rate eta (a slider over ``gtp.experiments.relatives_angles.ETAS``,
    the panel's default included), each frame the stored run of ``gtp.experiments.relatives_angles``
    (``results/relatives/angles/``) drawn by the panel's own figure function."""
    from ..experiments import relatives_angles as RR
    from . import figures_relatives as F
    from .panels_relatives import RULE_OPTIONS, relatives_title
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
