"""The training panel: train one of the paper's networks (or your own) with GTP or
backprop, live, from a notebook.

Controls: data set, network (the paper's rows of Tables 1-3, or custom hidden sizes),
activations, rule (GTP from the zero start, GTP from the activation start, backprop),
tau and eta (log-scale sliders), Euler steps, number of training examples, epochs,
seed; Start and Stop buttons.  Outputs: a progress bar, the learning curves
(train / validation accuracy and cost), the per-layer cosine with backprop, and a grid of
misclassified test images, all updated after every epoch.

Training runs in a background thread through the engine's hooks
(``gtp.engine.training.train(..., callback=..., stop=...)``).  The settings of a run are copied
when Start is pressed: **a change of any control during a run applies to the next run**
(the panel says so), and Stop ends the run cleanly, keeping everything learned so far.
Nothing is selected on the test split: the panel only reports test accuracy.

Every callback is a plain method (``start``, ``stop``, ``on_change``...) and the panel
works without a browser, so tests drive it by setting ``.value`` and calling ``.click()``.
"""
import threading
import time

import ipywidgets as widgets
import numpy as np

from ..data.registry import DATASETS as _REGISTRY
from ..engine.rules import RULES as _LEARNING_RULES
from ..engine.rules import get_rule
from ..experiments.panel_runs import (
    ACTIVATIONS,
    CUSTOM,
    DATASETS,
    DEFAULT_MIN_TEST_ACCURACY,
    DEFAULTS,
    RULES,
    load_data,
    make_config,
    one_blas_thread,
    paper_networks,
    parse_sizes,
    resolve_acts,
    run_title,
    run_training,
)
from ..maths.network import predict
from . import figures_training as F
from .figure_style import DRAW_LOCK, png_bytes
from .panel_base import RunPanel, _esc, log_slider, paper_values

_RULE_LABELS = [(label, key) for r in _LEARNING_RULES.values() for key, label, _ in r.choices]
_DATASET_LABELS = [(ds.title, name) for name, ds in _REGISTRY.items()]

# the panel's settings and how a run is made of them live with the precomputed runs
# (gtp.experiments.panel_runs), which train exactly as the panel does
__all__ = ["DEFAULTS", "DEFAULT_MIN_TEST_ACCURACY", "RULES", "ACTIVATIONS", "DATASETS",
           "paper_networks", "run_title", "parse_sizes", "resolve_acts", "make_config", "run_training",
           "load_data", "one_blas_thread", "TrainingPanel", "training_panel"]

class _Control:
    """The ``stop`` object handed to the engine: polled before every training step, it
    counts the steps (for the progress bar) and reports the Stop button."""

    def __init__(self, on_count=None, every=2000):
        self.event = threading.Event()
        self.count = 0
        self.on_count, self.every = on_count, every

    def is_set(self):
        self.count += 1
        if self.on_count is not None and self.count % self.every == 0:
            self.on_count(self.count)
        return self.event.is_set()

    def set(self):
        self.event.set()


class TrainingPanel(RunPanel):
    """Controls -> ``make_config`` -> ``run_training`` in a thread (``RunPanel``) -> live
    figures.

    ``tau`` and ``eta`` are ``LogSlider``s whose values include every value of the
    paper's Tables 1-3, so choosing a paper network runs exactly the printed tau and eta
    and the readouts show exactly what will run.  The curves are redrawn through
    ``Panel.redraw`` (serialised, last state wins), from the training thread or any other.

    Controls: ``dataset``, ``network``, ``hidden`` (custom hidden sizes), ``acts``,
    ``rule``, ``tau``, ``eta``, ``steps``, ``n_train``, ``epochs``, ``seed``;
    ``start_button``, ``stop_button``.  Outputs: ``progress``, ``status`` (run state),
    ``note`` (what a change of setting does), ``curves`` and ``errors_image`` (PNG
    images).  State: ``config`` (settings of the current or last run), ``epochs``
    (entries so far), ``record`` (the finished run), ``figure`` and
    ``misclassified_figure`` (the last figures drawn), ``thread``.

    ``loader(dataset)`` returns the splits (default: ``load_data``); ``threaded=False``
    runs a training inside ``start()`` (used to build the static book).
    """

    thread_name = "gtp-training-panel"

    def __init__(self, loader=None, threaded=True, **settings):
        super().__init__(threaded)
        s = dict(DEFAULTS, **settings)
        self.loader = loader or load_data
        self.figure, self.misclassified_figure = None, None
        style = {"description_width": "initial"}
        wide = widgets.Layout(width="330px")
        self.dataset = widgets.Dropdown(options=_DATASET_LABELS, value=s["dataset"],
                                        description="data set", style=style)
        self.network = widgets.Dropdown(options=self._network_options(s["dataset"]),
                                        value=s["network"], description="network", style=style)
        self.hidden = widgets.Text(value=s["hidden"], description="custom hidden sizes",
                                   placeholder="e.g. 100-100", style=style,
                                   disabled=s["network"] != CUSTOM)
        self.acts = widgets.Dropdown(options=[(v, k) for k, v in ACTIVATIONS.items()],
                                     value=s["acts"], description="activations", style=style,
                                     layout=widgets.Layout(width="460px"))
        self.rule = widgets.Dropdown(options=_RULE_LABELS, value=s["rule"], description="rule",
                                     style=style, layout=widgets.Layout(width="330px"))
        self.tau = log_slider("τ", float(s["tau"]), 1e-2, 1e4, exact=paper_values("tau"),
                              layout=wide)
        self.eta = log_slider("η", float(s["eta"]), 1e-6, 1.0, exact=paper_values("eta"),
                              layout=wide)
        self.steps = widgets.IntSlider(value=s["steps"], min=1, max=20, description="steps",
                                       layout=wide)
        self.n_train = widgets.IntSlider(value=s["n_train"], min=1000,
                                         max=self._n_max(s["dataset"]), step=1000,
                                         description="examples", layout=wide)
        self.epochs_slider = widgets.IntSlider(value=s["epochs"], min=1, max=30,
                                               description="epochs", layout=wide)
        self.seed = widgets.BoundedIntText(value=s["seed"], min=0, max=10 ** 6,
                                           description="seed", layout=widgets.Layout(width="160px"))
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="progress",
                                            layout=widgets.Layout(width="330px"))
        self.progress_label = widgets.Label(value="")
        self.curves = widgets.Image(format="png", layout=widgets.Layout(max_width="940px"))
        self.errors_image = widgets.Image(format="png", layout=widgets.Layout(max_width="700px"))
        self.controls = [self.dataset, self.network, self.hidden, self.acts, self.rule,
                         self.tau, self.eta, self.steps, self.n_train, self.epochs_slider,
                         self.seed]
        self.dataset.observe(self.on_dataset, names="value")
        self.network.observe(self.on_network, names="value")
        for c in self.controls:
            c.observe(self.on_change, names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.dataset, self.network, self.hidden]),
            widgets.HBox([self.acts, self.rule]),
            widgets.HBox([self.tau, self.eta, self.steps]),
            widgets.HBox([self.n_train, self.epochs_slider, self.seed]),
            widgets.HBox([self.start_button, self.stop_button, self.progress,
                          self.progress_label]),
            self.status, self.note, self.curves, self.errors_image])
        self.on_change(None)

    # ------------------------------------------------------------------ settings
    @staticmethod
    def _network_options(dataset):
        nets = [(f"{net} (paper, Table {t}: τ={tau:g}, η={eta:g})", net)
                for net, tau, eta, t in paper_networks(dataset)]
        return nets + [("custom hidden sizes", CUSTOM)]

    @staticmethod
    def _n_max(dataset):
        """Size of the training split (the official training set minus validation)."""
        ds = _REGISTRY[dataset]
        return ds.n_train - ds.n_validation

    def settings(self):
        """The current settings of the controls (a dict with the keys of ``DEFAULTS``)."""
        return dict(dataset=self.dataset.value, network=self.network.value,
                    hidden=self.hidden.value, acts=self.acts.value, rule=self.rule.value,
                    tau=self.tau.value, eta=self.eta.value, steps=self.steps.value,
                    n_train=self.n_train.value, epochs=self.epochs_slider.value,
                    seed=self.seed.value)

    def on_dataset(self, change):
        """A new data set: offer its paper networks and clamp the number of examples."""
        try:
            ds = change["new"]
            self.network.options = self._network_options(ds)
            self.network.value = self.network.options[0][1]
            n_max = self._n_max(ds)
            if self.n_train.value > n_max:
                self.n_train.value = n_max
            self.n_train.max = n_max
        except Exception as err:  # never raise into the notebook
            self.note.value = f"<b>Could not apply the data set:</b> {_esc(err)}"

    def on_network(self, change):
        """A paper network: set tau and eta to the paper's values; custom: enable sizes."""
        try:
            net = change["new"]
            self.hidden.disabled = net != CUSTOM
            for n, tau, eta, _t in paper_networks(self.dataset.value):
                if n == net:
                    self.tau.value, self.eta.value = tau, eta
        except Exception as err:
            self.note.value = f"<b>Could not apply the network:</b> {_esc(err)}"

    def build_config(self):
        return make_config(self.settings())

    def describe(self, cfg):
        """The settings of ``cfg`` in words (the note and the status)."""
        steps = f"{cfg.steps} step{'s' if cfg.steps > 1 else ''}"
        rule = get_rule(cfg.rule)
        what = f"{rule.label} ({cfg.start} start, τ={cfg.tau:g}, {steps})" if rule.uses("tau") \
            else rule.label
        return (f"{cfg.dataset} {'-'.join(map(str, cfg.sizes))}, {what}, η={cfg.eta:g}, "
                f"{cfg.epochs} epoch{'s' if cfg.epochs > 1 else ''} of {cfg.n_train} examples, "
                f"seed {cfg.seed}")

    # ------------------------------------------------------------------ the run
    def new_control(self):
        return _Control(on_count=self._on_count)

    def begin(self, cfg):
        """Reset the progress bar; the data set is loaded first."""
        self.progress.max = max(1, cfg.epochs * cfg.n_train)
        self.progress.value = 0
        self.progress_label.value = ""
        self._t0 = time.perf_counter()
        self._count_at_epoch, self._done_examples = 0, 0
        self.status.value = f"<b>Loading {_esc(cfg.dataset)}…</b>"

    def run(self, cfg, control):
        data = self.loader(cfg.dataset)
        self._data = data
        self.progress.max = max(1, cfg.epochs * min(cfg.n_train, len(data["train"][1])))
        self.status.value = f"<b>Training</b> {_esc(self.describe(cfg))}…"
        record = run_training(cfg, data, on_epoch=self._on_epoch, stop=control)
        self._finish(cfg, record, data)

    def _on_count(self, count):
        cfg = self.config
        if cfg is None:
            return
        value = min(self.progress.max, self._done_examples + count - self._count_at_epoch)
        self.progress.value = value
        self.progress_label.value = (f"{value:,} / {self.progress.max:,} examples, "
                                     f"{time.perf_counter() - self._t0:.1f} s")

    def _on_epoch(self, entry, W):
        """After every epoch (from the worker thread): store, redraw, show errors."""
        cfg = self.config
        self.epochs.append(entry)
        self._done_examples = entry["examples"]
        self._count_at_epoch = self.control.count
        self.progress.value = min(self.progress.max, entry["examples"])
        self.progress_label.value = (f"epoch {entry['epoch']}/{cfg.epochs}, "
                                     f"{time.perf_counter() - self._t0:.1f} s")
        self.redraw()
        if W is not None:
            self._show_errors(W, cfg)

    def draw(self):
        """Draw the learning curves and cosines of the entries so far into ``curves``
        (called through ``redraw``)."""
        cfg = self.config
        title = None if cfg is None else run_title(cfg.dataset, cfg.sizes, cfg.rule)
        with DRAW_LOCK:
            fig = F.training_figure(list(self.epochs), title=title)
        self.figure = fig
        self.curves.value = png_bytes(fig)

    def _show_errors(self, W, cfg):
        X, y = self._data["test"]
        pred = predict(W, X, cfg.acts)
        from ..data import class_names
        try:
            names = class_names(cfg.dataset)
        except Exception:
            names = None
        shape = DATASETS.get(cfg.dataset, (None, None, (28, 28)))[2]
        wrong = int(np.count_nonzero(pred != y))
        with DRAW_LOCK:
            fig = F.misclassified(X, y, pred, shape=shape, class_names=names, n=24,
                                  title=f"first misclassified test images ({wrong:,} of "
                                        f"{len(y):,} wrong): label → prediction")
        self.misclassified_figure = fig
        self.errors_image.value = png_bytes(fig)

    def _finish(self, cfg, record, data):
        self.record = record
        W = record.get("weights")
        if W is not None and record["status"] != "diverged":
            self._show_errors(W, cfg)
        self.redraw()
        full = [e for e in record["epochs"] if e["epoch"] >= 1 and not e.get("partial")]
        last = record["epochs"][-1] if record["epochs"] else None
        sel = record.get("selection")
        secs = record.get("wall_time", 0.0)
        if record["status"] == "diverged":
            self.status.value = (f"<span style='color:#D55E00'><b>Diverged</b>: "
                                 f"{_esc(record['message'])}. Try a smaller τ or η.</span>")
        elif last is not None:
            what = "Finished" if record["status"] == "finished" else "Stopped"
            txt = (f"<b>{what}</b> after {last['examples']:,} examples ({secs:.1f} s): "
                   f"test accuracy {100 * last['test_acc']:.2f}%, validation "
                   f"{100 * last['val_acc']:.2f}%")
            if sel is not None and len(full) > 1:
                txt += (f"; best validation epoch {sel['best_epoch']} (test accuracy there "
                        f"{100 * sel['test_acc_at_best']:.2f}%)")
            if record["status"] != "finished" and record.get("message"):
                txt += f". {_esc(record['message'])}"
            self.status.value = txt + "."
        self.progress.value = min(self.progress.max, last["examples"] if last else 0)


def training_panel(**settings):
    """Build a ``TrainingPanel`` and return it (display the panel)."""
    return TrainingPanel(**settings)
