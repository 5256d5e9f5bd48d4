"""What every panel of the book shares: ``Panel`` (a widget, a serialised redraw, an error
display and the display hook), ``RunPanel`` (a panel that trains in a background thread,
with Start and Stop) and ``log_slider`` (a logarithmic slider that holds the paper's exact
values).

Why redraws are serialised: JupyterLab (4.6 and later) may deliver widget messages on a
kernel *subshell* thread, so a button callback (main thread) and a slider's message
(subshell thread) can run at the same time.  Two threads drawing one matplotlib figure
leave it broken (an empty, transparent PNG).  ``Panel.redraw`` lets one thread draw at a
time and coalesces requests: whoever asks during a draw only marks the panel stale, and
the drawing thread draws again with the controls' values at that moment, so the last
value set always wins and no request waits behind a queue of outdated ones.
"""
import html
import math
import threading

import ipywidgets as widgets
from traitlets import TraitError, validate

__all__ = ["Panel", "RunPanel", "LogSlider", "log_grid", "log_slider", "paper_values"]


class Panel:
    """Base class of the book's panels.

    A subclass builds its controls and outputs, sets ``self.widget`` (the box to display)
    and ``self.message`` (an ``HTML`` widget for status and errors), implements ``draw()``
    (read the controls, update the outputs) and connects its controls to ``redraw``
    (``control.observe(self.redraw, names="value")``); it then calls ``self.redraw()``
    once to show the initial state.

    ``redraw()``: serialised and coalescing (see the module docstring); safe to call from
    any thread.  It returns ``True`` if this call drew (possibly several times, until no
    request was left) and ``False`` if another thread was drawing and will draw the new
    state.  An exception in ``draw`` never reaches the notebook: ``show_error(err)``
    displays it and ``self.error`` keeps it (``None`` after a successful draw).

    Display: ``display(panel)``, or ``panel`` as the last line of a cell, shows
    ``panel.widget`` through ``_repr_mimebundle_``.  That method is the one display hook:
    it merges the widget's bundle with ``extra_mimebundle()``, empty here.  A panel (or a
    wrapper) that wants another representation beside the live widget, such as a static
    ``text/html`` twin for the rendered book, overrides ``extra_mimebundle`` to return
    e.g. ``{"text/html": "..."}``; front ends that render widgets show the widget.
    """

    widget = None
    message = None

    def __init__(self):
        self._state = threading.Lock()      # guards the two flags below, held only briefly
        self._stale = False                 # a redraw was requested since the last draw began
        self._drawing = False               # some thread is in the drawing loop
        self.error = None

    def draw(self):
        """Read the controls and update the outputs (subclasses implement it)."""
        raise NotImplementedError

    def redraw(self, _change=None):
        """Draw the current state; serialised, last value wins (usable as an observer)."""
        with self._state:
            self._stale = True
            if self._drawing:
                return False
            self._drawing = True
        try:
            while True:
                with self._state:
                    if not self._stale:
                        self._drawing = False
                        return True
                    self._stale = False
                try:
                    self.draw()
                    self.error = None
                except Exception as err:    # a panel must never raise into the notebook
                    self.error = err
                    self.show_error(err)
        except BaseException:
            with self._state:
                self._drawing = False
            raise

    def show_error(self, err):
        """Say what went wrong in ``message`` (subclasses may also clear their outputs)."""
        if self.message is not None:
            self.message.value = (f"<b style='color:#D55E00'>Cannot draw this setting:</b> "
                                  f"{html.escape(str(err))}")

    def extra_mimebundle(self):
        """Representations shown beside the live widget (see the class docstring)."""
        return {}

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude))
        bundle.update(self.extra_mimebundle())
        return bundle


def _esc(text):
    return html.escape(str(text))


class RunPanel(Panel):
    """A panel that trains in a background thread: **Start** copies the settings into a
    config and runs it, **Stop** asks the run to end after the current step, and a change of
    any control during a run applies to the next run (the panel says so).

    ``__init__`` makes the ``start_button``, the ``stop_button``, ``status`` (the run's state
    and errors) and ``note`` (what a change of setting does).  A subclass lays them out with
    its controls, connects the controls to ``on_change`` and implements

    - ``build_config()``: the config of the current settings (raises ``ValueError`` on a bad
      setting, which the note shows and which disables Start);
    - ``describe(cfg)``: the run's settings in words;
    - ``run(cfg, control)``: the run itself, in the worker thread; it stores the record and
      writes the final status (an exception is shown in ``status``);

    and may override the hooks ``new_control()`` (the stop object polled by the engine,
    default a ``threading.Event``), ``begin(cfg)`` (per-run reset, in the caller's thread
    before the run starts) and ``enable_controls()`` (enable the controls the settings read).

    State: ``config`` (settings of the current or last run), ``epochs`` (entries so far),
    ``record`` (the finished run), ``control``, ``thread``; ``threaded=False`` runs inside
    ``start()`` (tests and the static book).
    """

    thread_name = "gtp-panel"

    def __init__(self, threaded=True):
        super().__init__()
        self.threaded = threaded
        self.config, self.record, self.thread, self.control = None, None, None, None
        self.epochs = []
        self._running = False
        self._run_lock = threading.Lock()     # start/stop/end of a run: one at a time
        self.start_button = widgets.Button(description="Start", button_style="success",
                                           icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="danger",
                                          icon="stop", disabled=True)
        self.start_button.on_click(lambda _b: self.start())
        self.stop_button.on_click(lambda _b: self.stop())
        self.status = widgets.HTML(value="")
        self.message = self.status            # where Panel.show_error reports
        self.note = widgets.HTML(value="")

    def build_config(self):
        raise NotImplementedError

    def describe(self, cfg):
        raise NotImplementedError

    def run(self, cfg, control):
        raise NotImplementedError

    def new_control(self):
        return threading.Event()

    def begin(self, cfg):
        pass

    def enable_controls(self):
        pass

    @property
    def running(self):
        return self._running

    def on_change(self, change=None):
        """A control changed: check the settings; during a run, say that the change applies
        to the next run (the running training keeps its copied settings)."""
        self.enable_controls()
        try:
            cfg = self.build_config()
        except Exception as err:
            self.note.value = (f"<span style='color:#D55E00'><b>Invalid setting:</b> "
                               f"{_esc(err)}</span>")
            self.start_button.disabled = True
            return
        self.start_button.disabled = self._running
        if self._running:
            name = getattr(change.get("owner"), "description", "a setting") if change else \
                "a setting"
            self.note.value = (f"<b>You changed {_esc(name)} during a run:</b> the running "
                               f"training keeps its settings; the change applies to the "
                               f"<b>next run</b> (press Stop, then Start, to use it now).")
        else:
            self.note.value = f"Ready: {_esc(self.describe(cfg))}. Press <b>Start</b>."

    def start(self):
        """Start a run with a copy of the current settings (ignored while one runs; safe
        under concurrent calls: the check and the claim are one step under a lock)."""
        with self._run_lock:
            if self._running:
                self.note.value = "A run is in progress: press Stop first."
                return False
            try:
                cfg = self.build_config()
            except Exception as err:
                self.status.value = f"<b>Cannot start:</b> {_esc(err)}"
                return False
            self.config, self.record, self.epochs = cfg, None, []
            self.control = self.new_control()
            self._running = True
        self.start_button.disabled, self.stop_button.disabled = True, False
        self.status.value = f"<b>Training</b> {_esc(self.describe(cfg))}…"
        self.note.value = f"Running: {_esc(self.describe(cfg))}."
        self.begin(cfg)
        if self.threaded:
            self.thread = threading.Thread(target=self._work, args=(cfg, self.control),
                                           daemon=True, name=self.thread_name)
            self.thread.start()
        else:
            self._work(cfg, self.control)
        return True

    def stop(self):
        """Ask the running training to stop (it ends after the current step and keeps
        what it learned)."""
        with self._run_lock:
            control = self.control if self._running else None
        if control is None:
            self.note.value = "Nothing to stop: no run in progress."
            return False
        control.set()
        self.status.value = "<b>Stopping…</b> (the weights learned so far are kept)"
        return True

    def join(self, timeout=None):
        """Wait for the background run to end; True if no run is left."""
        if self.thread is not None:
            self.thread.join(timeout)
        return not self._running

    def _work(self, cfg, control):
        try:
            self.run(cfg, control)
        except Exception as err:      # shown in the panel: a thread must not die silently
            self.status.value = (f"<span style='color:#D55E00'><b>The run failed:</b> "
                                 f"{_esc(type(err).__name__)}: {_esc(err)}</span>")
        finally:
            with self._run_lock:
                self._running = False
            self.stop_button.disabled = True
            self.on_change(None)


def log_grid(lo, hi, per_decade=20, exact=(), gap=0.03):
    """Values from ``lo`` to ``hi`` spaced evenly in log scale (``per_decade`` per factor
    10), rounded to three significant digits, plus every value of ``exact`` in range;
    a grid value within a relative ``gap`` of an exact value gives way to it (no 398.1
    beside 400).  Sorted, without duplicates."""
    if not 0 < lo < hi:
        raise ValueError(f"log_grid: expected 0 < lo < hi, got lo={lo!r}, hi={hi!r}")
    exact = sorted({float(v) for v in exact if lo <= v <= hi})
    a, b = math.log10(lo), math.log10(hi)
    n = round((b - a) * per_decade)
    grid = {float(f"{10 ** (a + (b - a) * k / n):.3g}") for k in range(n + 1)}
    grid = {g for g in grid if lo <= g <= hi and all(abs(g / e - 1) > gap for e in exact)}
    return sorted(grid | set(exact))


class LogSlider(widgets.SelectionSlider):
    """A slider over a fixed list of positive numbers (``log_grid``).  Its readout is the
    number itself (``:g``), which is exactly what a panel runs.  Setting ``value`` to a
    number off the list selects the nearest one in log scale (a non-positive or
    non-number value is an error naming the slider)."""

    @validate("value")
    def _validate_value(self, proposal):
        v = proposal.value
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise TraitError(f"{self.description}: expected a positive number, got {v!r}") from None
        if not (v > 0 and math.isfinite(v)):
            raise TraitError(f"{self.description}: expected a positive number, got {v!r}")
        return min(self._options_values, key=lambda o: abs(math.log(o / v)))

    @property
    def min(self):
        return self._options_values[0]

    @property
    def max(self):
        return self._options_values[-1]


def log_slider(description, value, lo, hi, per_decade=20, exact=(), **kwargs):
    """A ``LogSlider`` from ``lo`` to ``hi`` whose options include ``value`` and every
    value of ``exact`` in range (e.g. ``paper_values("tau")``), starting at ``value``."""
    options = log_grid(lo, hi, per_decade, tuple(exact) + (value,))
    return LogSlider(options=[(f"{v:g}", v) for v in options], value=value,
                     description=description, **kwargs)


def paper_values(name):
    """Every value of ``name`` (``"tau"`` or ``"eta"``) in the paper's Tables 1-3."""
    from ..maths.paper import ROWS
    return sorted({float(getattr(r, name)) for r in ROWS})
