"""The relatives panel: train the small network of the part "GTP among its relatives"
(MNIST 784-100-100-10, sigmoid everywhere) with feedback alignment, direct feedback
alignment, difference target propagation, target propagation, GTP or backprop, and watch
the learning curves and the angle between each layer's update and backprop's.

Controls: the rule, the forward learning rate eta (every rule), tau (GTP only), the first
target's step eta_hat and the corruption noise sigma (DTP and TP only), epochs and seed;
Start and Stop.  Settings become a ``TrainConfig`` through ``gtp.experiments.relatives_angles.config``, the
function that made the book's precomputed runs, so the panel's default run is exactly the
stored one (its static twin shows those runs).  Training runs in a background thread
through ``gtp.book.panels_training.run_training``; the settings are copied when Start is
pressed, and a change during a run applies to the next one.
"""
import ipywidgets as widgets

from ..engine.rules import get_rule
from ..experiments import relatives_angles as RR
from . import figures_relatives as F
from .figure_style import DRAW_LOCK, png_bytes
from .panel_base import RunPanel, _esc, log_slider
from .panels_training import load_data, run_training

__all__ = ["DEFAULTS", "RULE_OPTIONS", "relatives_title", "make_config", "RelativesPanel",
           "relatives_panel"]

_DTP = dict(get_rule("dtp").defaults)
#: the panel's defaults: the stored default run of ``gtp.experiments.relatives_angles`` (feedback alignment)
DEFAULTS = dict(rule=RR.PANEL["rule"], eta=RR.PANEL["eta"], tau=RR.GTP_TAU,
                eta_hat=_DTP["eta_hat"], sigma=_DTP["sigma"], epochs=RR.PANEL["epochs"],
                seed=RR.PANEL["seed"])
#: (label, name) of every rule the panel offers, in the book's order
RULE_OPTIONS = tuple((get_rule(n).label, n) for n in RR.RULES)


def relatives_title(rule, eta):
    """Title of a run's figure (the live panel and its static twin)."""
    sizes = "-".join(map(str, RR.PANEL["sizes"]))
    return f"MNIST {sizes}, {get_rule(rule).label}, η = {eta:g}"


def make_config(settings):
    """The ``TrainConfig`` of the panel's settings (keys of ``DEFAULTS``)."""
    s = dict(DEFAULTS, **settings)
    r = get_rule(s["rule"])
    changes = dict(epochs=int(s["epochs"]), seed=int(s["seed"]))
    if r.uses("tau"):
        changes["tau"] = float(s["tau"])
    for name in ("eta_hat", "sigma"):
        if r.uses(name):
            changes[name] = float(s[name])
    return RR.config(s["rule"], float(s["eta"]), **changes)


class RelativesPanel(RunPanel):
    """Controls -> ``make_config`` -> ``run_training`` in a thread (``RunPanel``) -> the
    figure of ``gtp.book.figures_relatives.run_figure``, redrawn after every epoch.

    ``loader(dataset)`` gives the data splits (default: ``gtp.book.panels_training.load_data``);
    ``threaded=False`` trains inside ``start()``.
    """

    thread_name = "gtp-relatives-panel"

    def __init__(self, loader=None, threaded=True, **settings):
        super().__init__(threaded)
        s = dict(DEFAULTS, **settings)
        self.loader = loader or load_data
        self.figure = None
        wide = widgets.Layout(width="330px")
        style = {"description_width": "initial"}
        self.rule = widgets.Dropdown(options=list(RULE_OPTIONS), value=s["rule"],
                                     description="rule", style=style, layout=wide)
        self.eta = log_slider("η", float(s["eta"]), 1e-3, 1.0, exact=RR.ETAS, layout=wide)
        self.tau = log_slider("τ (GTP)", float(s["tau"]), 0.1, 1000.0, exact=(RR.GTP_TAU,),
                              layout=wide)
        self.eta_hat = log_slider("η̂ (DTP, TP)", float(s["eta_hat"]), 0.01, 10.0,
                                  exact=(_DTP["eta_hat"],), layout=wide)
        self.sigma = log_slider("σ (DTP, TP)", float(s["sigma"]), 0.01, 1.0,
                                exact=(_DTP["sigma"],), layout=wide)
        self.epochs_slider = widgets.IntSlider(value=s["epochs"], min=1, max=20,
                                               description="epochs", layout=wide)
        self.seed = widgets.BoundedIntText(value=s["seed"], min=0, max=10 ** 6,
                                           description="seed", layout=widgets.Layout(width="160px"))
        self.output = widgets.Image(format="png", layout=widgets.Layout(max_width="760px"))
        self.controls = [self.rule, self.eta, self.tau, self.eta_hat, self.sigma,
                         self.epochs_slider, self.seed]
        for c in self.controls:
            c.observe(self.on_change, names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.rule, self.eta]),
            widgets.HBox([self.tau, self.eta_hat, self.sigma]),
            widgets.HBox([self.epochs_slider, self.seed, self.start_button, self.stop_button]),
            self.status, self.note, self.output])
        self.on_change(None)
        self.redraw()

    def settings(self):
        """The current settings (a dict with the keys of ``DEFAULTS``)."""
        return dict(rule=self.rule.value, eta=self.eta.value, tau=self.tau.value,
                    eta_hat=self.eta_hat.value, sigma=self.sigma.value,
                    epochs=self.epochs_slider.value, seed=self.seed.value)

    def build_config(self):
        return make_config(self.settings())

    def describe(self, cfg):
        """The settings of ``cfg`` in words (the note and the status)."""
        r = get_rule(cfg.rule)
        extra = [f"{n} = {getattr(cfg, n):g}" for n in ("tau", "eta_hat", "sigma") if r.uses(n)]
        return (f"{r.label}, η = {cfg.eta:g}" + "".join(f", {e}" for e in extra) +
                f", {cfg.epochs} epochs of {cfg.n_train:,} MNIST images, seed {cfg.seed}")

    def enable_controls(self):
        """Enable the sliders the chosen rule reads."""
        r = get_rule(self.rule.value)
        self.tau.disabled = not r.uses("tau")
        self.eta_hat.disabled = not r.uses("eta_hat")
        self.sigma.disabled = not r.uses("sigma")

    def run(self, cfg, control):
        record = run_training(cfg, self.loader(cfg.dataset), on_epoch=self._on_epoch,
                              stop=control)
        self.record = record
        last = record["epochs"][-1]
        if record["status"] == "diverged":
            self.status.value = (f"<b style='color:#D55E00'>Diverged:</b> "
                                 f"{_esc(record['message'])}. Try a smaller η.")
        else:
            angles = ", ".join(f"W_{l} {a:.0f}°" for l, a in enumerate(last.get("angle") or [])
                               if a is not None)
            self.status.value = (f"<b>{'Finished' if record['status'] == 'finished' else 'Stopped'}</b>"
                                 f" ({record['wall_time']:.1f} s): validation accuracy "
                                 f"{100 * last['val_acc']:.2f}%, angles to backprop {angles}.")

    def _on_epoch(self, entry, _W):
        self.epochs.append(entry)
        self.redraw()

    def draw(self):
        """Draw the entries so far (called through ``redraw``)."""
        cfg = self.config
        title = relatives_title(cfg.rule, cfg.eta) if cfg is not None else \
            "press Start to train"
        with DRAW_LOCK:
            fig = F.run_figure(list(self.epochs), title=title)
        self.figure = fig
        self.output.value = png_bytes(fig)


def relatives_panel(**settings):
    """Build a ``RelativesPanel`` (display it)."""
    return RelativesPanel(**settings)
