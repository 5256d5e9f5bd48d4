"""Figures of the Theory part (targets, their ODE, inversion, and the backprop - Hebbian split).

Every function returns a matplotlib Figure drawn with ``style.figure``; the numbers
come from ``gtp.maths.dynamics``, ``gtp.maths.inversion`` and ``gtp.maths.decomposition``.
"""
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import LogFormatter, NullFormatter

from ..maths import dynamics
from ..maths.targets import euler_target, local_cost
from .figure_style import PALETTE, figure

__all__ = ["TargetConvergenceFigure", "target_convergence", "tau_grid", "start_comparison",
           "targets_by_layer", "term_shares", "cosine_grid",
           "inversion_landscape", "overdetermined", "inversion_iterations", "CosineBarsFigure",
           "feedback_channels", "neuron_uncertainty"]

CYCLE_LAYERS = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky")]
_STATUS_TEXT = {"converged": "converged", "converging": "still converging",
                "oscillating": "oscillating: tau above the stability limit",
                "diverged": "thrown away from the minimiser"}


def _draw_target(ax, r, per_step=False):
    """Euler targets (circles), exact ODE (line) and minimiser (dashed) on ``ax``;
    against time t, or against the step index k = t / tau with ``per_step``."""
    ok = r["finite"]
    scale = r["tau"] if per_step else 1.0
    ax.plot(r["t_fine"] / scale, r["exact"], color=PALETTE["black"], lw=1.5,
            label="exact solution of eq. 3")
    ax.plot(r["t"][ok] / scale, r["path"][ok], "o", ms=5, color=PALETTE["blue"], mfc="none",
            mew=1.5, label=f"Euler targets (eq. 32), {r['start']} start")
    ax.axhline(r["y_star"], color=PALETTE["green"], ls="--", lw=1.2, label="minimiser $y^*$")
    ax.set_xlabel(r"Euler step $k$ ($t = k\tau$)" if per_step else "time $t$")
    ax.set_ylabel(r"target $\hat y_1$")


class TargetConvergenceFigure:
    """Figure 2 of the paper, with the exact solution added, as an updatable figure.

    Left: the target of the lower neuron of y2 = sigmoid(w y1) against time, Euler
    steps (circles) and the exact solution of eq. 3 (line).  Right: the squared
    error (label - y2)^2 of the output (triangles; line: exact), on a log scale.
    ``update(result)`` moves the existing artists to a new ``dynamics.euler_vs_exact``
    result (fast: no new axes, no re-layout), so that a slider can redraw quickly.
    """

    FLOOR = 1e-20

    def __init__(self, result):
        self.fig, (self.ax_target, self.ax_error) = figure(1, 2, height=3.8)
        a1, a2 = self.ax_target, self.ax_error
        self.exact, = a1.plot([], [], color=PALETTE["black"], lw=1.5,
                              label="exact solution of eq. 3")
        self.euler, = a1.plot([], [], "o", ms=5, color=PALETTE["blue"], mfc="none", mew=1.5,
                              label="Euler targets (eq. 32)")
        self.minimiser = a1.axhline(0, color=PALETTE["green"], ls="--", lw=1.2,
                                    label="minimiser $y^*$")
        a1.set_xlabel("time $t$")
        a1.set_ylabel(r"target $\hat y_1$")
        a2.set_yscale("log")
        a2.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=True))   # cheap to redraw
        a2.yaxis.set_minor_formatter(NullFormatter())
        self.exact_err, = a2.plot([], [], color=PALETTE["black"], lw=1.5)
        self.euler_err, = a2.plot([], [], "^", ms=5, color=PALETTE["vermillion"], mfc="none",
                                  mew=1.5, label="squared error of the Euler targets")
        a2.set_xlabel("time $t$")
        a2.set_ylabel(r"squared error $(\hat y_2 - y_2)^2$")
        handles = [self.exact, self.euler, self.minimiser, self.euler_err]
        self.fig.legend(handles=handles, loc="lower center", ncol=2, frameon=False, fontsize=10)
        self.title = self.fig.suptitle("", fontsize=11)
        self.fig.tight_layout(rect=(0, 0.13, 1, 1))
        self.update(result)

    def update(self, r):
        ok = r["finite"]
        self.exact.set_data(r["t_fine"], r["exact"])
        self.euler.set_data(r["t"][ok], r["path"][ok])
        self.euler.set_label(f"Euler targets (eq. 32), {r['start']} start")
        self.minimiser.set_ydata([r["y_star"], r["y_star"]])
        self.exact_err.set_data(r["t_fine"], np.maximum(r["exact_sq_error"], self.FLOOR))
        self.euler_err.set_data(r["t"][ok], np.maximum(r["sq_error"][ok], self.FLOOR))
        self.fig.legends[0].get_texts()[1].set_text(self.euler.get_label())
        for ax in (self.ax_target, self.ax_error):
            ax.relim()
            ax.autoscale_view()
        # plain text (no mathtext): the title changes at every redraw of a slider
        self.title.set_text(
            f"w = {r['w']:g}, label = {r['label']:g}, \u03c4 = {r['tau']:.3g} "
            f"(limit {r['tau_limit']:.3g}), {r['steps']} steps: {_STATUS_TEXT[r['status']]}")
        return self.fig


def target_convergence(result=None, **kwargs):
    """Figure 2 (see ``TargetConvergenceFigure``): ``result`` is a dict from
    ``dynamics.euler_vs_exact``; otherwise ``kwargs`` are passed to it."""
    r = dynamics.euler_vs_exact(**kwargs) if result is None else result
    return TargetConvergenceFigure(r).fig


def tau_grid(fractions=(0.25, 0.9, 1.1, 2.5), steps=60, **kwargs):
    """Small multiples of the target path for tau = fraction x the stability limit,
    against the Euler step index.  ``kwargs`` (w, y_forward, label, start) go to
    ``dynamics.euler_vs_exact``.
    """
    w, label = kwargs.get("w", 2.0), kwargs.get("label", 0.8)
    limit = dynamics.two_neuron_stability_limit(w, label)
    fig, axes = figure(1, len(fractions), height=3.3)
    axes = np.atleast_1d(axes)
    for ax, frac in zip(axes, fractions):
        r = dynamics.euler_vs_exact(tau=frac * limit, steps=steps, **kwargs)
        _draw_target(ax, r, per_step=True)
        ax.set_title(f"$\\tau$ = {frac:g} x limit\n{r['status']}", fontsize=10)
        ax.set_xlabel("Euler step $k$")
        if ax is not axes[0]:
            ax.set_ylabel("")
    fig.legend(handles=axes[0].get_legend_handles_labels()[0], loc="lower center", ncol=3,
               frameon=False, fontsize=10)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def start_comparison(data):
    """Local cost of the targets against time for both starting points: Euler steps
    (markers) and the exact ODE (lines).  ``data`` comes from
    ``dynamics.start_comparison``."""
    fig, ax = figure(1, 1, height=3.4)
    t = data["t"]
    for start, colour, marker in (("activation", PALETTE["blue"], "o"),
                                  ("zero", PALETTE["orange"], "s")):
        ax.semilogy(t, data[f"ode_{start}"], color=colour, lw=1.5,
                    label=f"exact ODE from y(0) = {'y (forward)' if start == 'activation' else '0'}")
        ax.semilogy(t, data[f"euler_{start}"], marker, color=colour, mfc="none", mew=1.3, ms=5,
                    label=f"Euler, {start} start")
    ax.set_xlabel(r"time $t = k\tau$")
    ax.set_ylabel(r"local cost $C_{l+1}(\hat y_l)$")
    ax.legend(frameon=False, ncol=2, fontsize=9)
    fig.tight_layout()
    return fig


def targets_by_layer(ys, yhats, names=None):
    """Activation and target of every neuron, one panel per layer 1..L (grouped bars).

    ``ys`` is the list from ``forward``; ``yhats`` maps a legend name to a target list
    (from ``targets``), e.g. ``{"zero start, 1 step": yhat}``; layer 0 (the input) is
    not drawn.
    """
    L = len(ys) - 1
    fig, axes = figure(1, L, height=3.2, gridspec_kw={"width_ratios": [len(y) for y in ys[1:]]})
    axes = np.atleast_1d(axes)
    series = [("activation $y_l$", ys)] + list(yhats.items())
    colours = [PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["purple"]]
    width = 0.8 / len(series)
    for l, ax in enumerate(axes, start=1):
        n = len(ys[l])
        for k, (name, vals) in enumerate(series):
            ax.bar(np.arange(n) + (k - (len(series) - 1) / 2) * width, vals[l], width,
                   color=colours[k % len(colours)], label=name)
        ax.axhline(0, color=PALETTE["black"], lw=0.8)
        ax.set_xticks(np.arange(n))
        ax.set_xlabel("neuron")
        ax.set_title(("output layer" if l == L else f"hidden layer {l}"), fontsize=10)
    axes[0].set_ylabel("value")
    fig.legend(handles=axes[0].get_legend_handles_labels()[0], loc="lower center",
               ncol=len(series), frameon=False, fontsize=10)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def term_shares(taus, shares, cosines, marks=()):
    """Left: share of the backprop term in the zero-start one-step update of every weight
    layer against tau; right: cosine between that update and backprop's.  ``marks``
    are tau values to flag (e.g. the paper's).  Data from ``decomposition.term_shares``."""
    fig, (a1, a2) = figure(1, 2, height=3.4, sharex=True)
    L = shares.shape[1]
    for l in range(L):
        kw = dict(color=CYCLE_LAYERS[l % len(CYCLE_LAYERS)], lw=1.8,
                  label=f"$W_{l}$" + (" (output)" if l == L - 1 else ""))
        a1.semilogx(taus, shares[:, l], **kw)
        a2.semilogx(taus, cosines[:, l], **kw)
    for ax in (a1, a2):
        for m in marks:
            ax.axvline(m, color=PALETTE["black"], ls=":", lw=1)
        ax.set_xlabel(r"$\tau$")
    a1.set_ylabel("share of the backprop term")
    a2.set_ylabel("cosine(GTP, backprop)")
    a1.set_ylim(-0.02, 1.02)
    a2.legend(frameon=False, fontsize=9, loc="lower right")
    fig.tight_layout()
    return fig


def cosine_grid(taus, steps_list, grids):
    """Cosine between GTP and backprop updates of each hidden weight layer against tau,
    one line per number of steps; one row per starting point.  ``grids`` maps a start
    name to the array of ``decomposition.cosine_grid``; the output layer (always 1) is
    left out."""
    starts = list(grids)
    L = next(iter(grids.values())).shape[2]
    fig, axes = figure(len(starts), L - 1, height=2.6 * len(starts), sharex=True, sharey=True,
                       squeeze=False)
    for r, start in enumerate(starts):
        for l in range(L - 1):
            ax = axes[r, l]
            for s, steps in enumerate(steps_list):
                ax.semilogx(taus, grids[start][s, :, l], "-o", ms=3, lw=1.5,
                            color=CYCLE_LAYERS[s % len(CYCLE_LAYERS)],
                            label=f"{steps} step{'s' if steps > 1 else ''}")
            ax.set_title(f"$W_{l}$, {start} start", fontsize=10)
            ax.set_ylim(-1.05, 1.05)
            if r == len(starts) - 1:
                ax.set_xlabel(r"$\tau$")
        axes[r, 0].set_ylabel("cosine with backprop")
    fig.legend(handles=axes[0, 0].get_legend_handles_labels()[0], loc="lower center",
               ncol=len(steps_list), frameon=False, fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def inversion_landscape(w, y0, yhat_next, tau=2.0, steps=12, t_max=200.0, iterations=4):
    """A layer of two neurons feeding one (W of shape (1, 2)): contours of the local cost
    over (y_1, y_2), the line of exact preimages W y = logit(yhat), the exact ODE path and
    the Euler targets from y0, the nearest and the least-norm preimages, and the iterates
    of eq. 37 (Appendix C)."""
    from ..maths import inversion
    w = np.asarray(w, dtype=float)
    ode_t = np.linspace(0, t_max, 200)
    ode = dynamics.target_ode(w, y0, yhat_next, ode_t)
    euler = np.array(euler_target(w, y0, yhat_next, "sigmoid", tau, steps,
                                           "activation", trajectory=True))
    near = inversion.nearest_preimage(w, y0, yhat_next)
    least = inversion.logit_least_squares(w, yhat_next)
    it = inversion.appendix_c_iterate(w, yhat_next, y0, iterations)
    pts = np.vstack([ode, euler, near, least, it, y0])
    lo, hi = pts.min(0) - 0.4, pts.max(0) + 0.4
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 120), np.linspace(lo[1], hi[1], 120))
    grid = np.stack([g1.ravel(), g2.ravel()], 1)
    cost = local_cost(w, grid, yhat_next).reshape(g1.shape)
    fig, ax = figure(1, 1, height=5.6)
    cs = ax.contourf(g1, g2, np.log10(cost + 1e-12), levels=20, cmap="Greys", alpha=0.45)
    fig.colorbar(cs, ax=ax, label=r"$\log_{10} C_{l+1}$", shrink=0.8)
    z = dynamics.logit(yhat_next)[0]
    xs = np.linspace(lo[0], hi[0], 2)
    ax.plot(xs, (z - w[0, 0] * xs) / w[0, 1], color=PALETTE["green"], lw=2,
            label="exact preimages $W y = f^{-1}(\\hat y)$")
    ax.plot(ode[:, 0], ode[:, 1], color=PALETTE["black"], lw=1.8, label="exact ODE path (eq. 3)")
    # filled, with a black rim, above the lines: hollow 5-pt circles vanished on the grey
    # cost map and under the ODE path, in light and (dimmed) dark mode
    ax.plot(euler[:, 0], euler[:, 1], "o", ls="none", mfc=PALETTE["blue"], mec=PALETTE["black"],
            mew=1.5, ms=8, zorder=5, label=f"Euler targets, $\\tau$ = {tau:g}")
    ax.plot(*near, "*", color=PALETTE["orange"], mec="white", mew=0.8, ms=16, zorder=6,
            label="nearest preimage")                       # where the Euler targets end
    ax.plot(*least, "D", color=PALETTE["purple"], ms=7, label="least-norm preimage")
    ax.plot(it[:, 0], it[:, 1], "s--", color=PALETTE["vermillion"], ms=6, lw=1,
            label="eq. 37 iterates")
    ax.plot(*y0, "P", color=PALETTE["black"], mec="white", mew=0.8, ms=10, zorder=6,
            label="forward activation $y_l$")               # where they start
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    ax.set_xlabel("$y_{l,1}$")
    ax.set_ylabel("$y_{l,2}$")
    fig.legend(handles=ax.get_legend_handles_labels()[0], loc="lower center", ncol=2,
               frameon=False, fontsize=10)
    fig.tight_layout(rect=(0, 0.2, 1, 1))
    return fig


def overdetermined(w, y0, yhat_next, t_max=200.0):
    """One neuron feeding two (W of shape (2, 1)): the local cost against y, with the
    single-neuron inversions of eq. 35, their average (eq. 36), the logit least-squares
    inverse and the limit of the ODE."""
    from ..maths import inversion
    w = np.asarray(w, dtype=float)
    per = inversion.per_neuron_inversions(w, yhat_next, np.asarray(y0, dtype=float))[:, 0]
    marks = {f"neuron {i + 1} alone (eq. 35)": (p, PALETTE["sky"] if i else PALETTE["blue"], ":")
             for i, p in enumerate(per)}
    marks["their average (eq. 36)"] = (per.mean(), PALETTE["vermillion"], "--")
    marks["logit least squares"] = (inversion.logit_least_squares(w, yhat_next)[0],
                                    PALETTE["purple"], "-.")
    marks["ODE limit"] = (inversion.ode_limit(w, y0, yhat_next, t_max)[0], PALETTE["black"], "-")
    vals = [v for v, _, _ in marks.values()]
    span = max(vals) - min(vals)
    ys = np.linspace(min(vals) - 0.6 * span, max(vals) + 0.6 * span, 400)
    fig, ax = figure(1, 1, height=3.4)
    ax.plot(ys, local_cost(w, ys[:, None], yhat_next), color=PALETTE["green"], lw=2,
            label="local cost $C_{l+1}(y)$")
    for name, (v, colour, ls) in marks.items():
        ax.axvline(v, color=colour, ls=ls, lw=1.6, label=f"{name}: {v:.3f}")
    ax.set_xlabel("$y_l$ (one neuron)")
    ax.set_ylabel("local cost")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def inversion_iterations(w, y0, yhat_next, tau, iterations=30):
    """Distance to the nearest preimage (log scale) along eq. 37's iteration and along
    Euler steps of eq. 32, for one layer with a reachable target."""
    from ..maths import inversion
    y_star = inversion.nearest_preimage(w, y0, yhat_next)
    it = inversion.appendix_c_iterate(w, yhat_next, y0, iterations)
    eu = np.array(euler_target(w, y0, yhat_next, "sigmoid", tau, iterations,
                                        "activation", trajectory=True))
    fig, ax = figure(1, 1, height=3.2)
    k = np.arange(iterations + 1)
    with np.errstate(all="ignore"):
        ax.semilogy(k, np.linalg.norm(it - y_star, axis=1), "s-", ms=4,
                    color=PALETTE["vermillion"], label="eq. 37 (Appendix C), iterated")
        ax.semilogy(k, np.linalg.norm(eu - y_star, axis=1), "o-", ms=4, color=PALETTE["blue"],
                    label=f"Euler on eq. 3, $\\tau$ = {tau:.3g}")
    ax.set_xlabel("iteration / Euler step")
    ax.set_ylabel("distance to the nearest preimage")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


class CosineBarsFigure:
    """Bars of the cosine between GTP and backprop updates, one per weight matrix, for one
    setting of (tau, steps, start); ``update(cosines, title)`` moves the bars (``nan``
    is drawn as an empty bar labelled "diverged")."""

    def __init__(self, cosines, title=""):
        self.fig, self.ax = figure(1, 1, height=3.0)
        n = len(cosines)
        self.bars = self.ax.bar(np.arange(n), np.zeros(n), color=PALETTE["blue"], width=0.6)
        self.labels = [self.ax.text(i, 0, "", ha="center", va="bottom", fontsize=10)
                       for i in range(n)]
        self.ax.axhline(0, color=PALETTE["black"], lw=0.8)
        self.ax.set_xticks(np.arange(n))
        self.ax.set_xticklabels([f"$W_{l}$" + ("\n(output)" if l == n - 1 else "")
                                 for l in range(n)])
        self.ax.set_ylim(-1.1, 1.25)
        self.ax.set_ylabel("cosine(GTP, backprop)")
        self.title = self.ax.set_title("", fontsize=11)
        self.update(cosines, title or " ")
        self.fig.tight_layout()     # after the title is set: the layout leaves it room

    def update(self, cosines, title=""):
        for bar, text, c in zip(self.bars, self.labels, cosines):
            ok = np.isfinite(c)
            bar.set_height(c if ok else 0.0)
            text.set_position((bar.get_x() + bar.get_width() / 2, max(c, 0) + 0.03 if ok else 0.03))
            text.set_text(f"{c:+.3f}" if ok else "diverged")
        self.title.set_text(title)
        return self.fig


_CHANNEL_STYLE = {"backprop": (PALETTE["blue"], "-"), "local Hebbian": (PALETTE["vermillion"], "--"),
                  "non-local activity": (PALETTE["purple"], ":")}


def feedback_channels(channels, L, title=None):
    """Network diagram with its feedback channels (Figures 1 and 4 of the paper).

    ``channels`` comes from ``gtp.maths.decomposition.feedback_channels(L)``: layers 0..L are
    columns of neurons, the objective a box on the right; a backprop channel is an arrow from
    the objective to the weights W_l it updates (above the network), an activity channel an
    arrow from hidden layer k to W_l (below), each labelled with its name and power of tau.
    """
    fig, ax = figure(1, 1, height=3.6)
    ax.set_axis_off()
    ys_n = np.linspace(-0.6, 0.6, 3)
    for l in range(L + 1):
        ax.scatter(np.full(3, l), ys_n, s=260, color="white", edgecolor=PALETTE["black"], zorder=3)
        ax.text(l, -0.95, "input" if l == 0 else ("output" if l == L else f"hidden {l}"),
                ha="center", va="top", fontsize=10)
        if l < L:
            for a in ys_n:
                for b in ys_n:
                    ax.plot([l, l + 1], [a, b], color="0.75", lw=0.6, zorder=1)
            ax.text(l + 0.5, 0.0, f"$W_{l}$", ha="center", va="center", fontsize=11,
                    bbox=dict(boxstyle="round", fc="white", ec="0.6"), zorder=4)
    ax.text(L + 0.85, 0.0, "objective\n$C$", ha="center", va="center", fontsize=10,
            bbox=dict(boxstyle="round", fc="#f3f3f3", ec=PALETTE["black"]), zorder=4)
    kinds_seen, arcs = {}, []
    for c in channels:
        colour, ls = _CHANNEL_STYLE[c["kind"]]
        if c["kind"] == "backprop":
            start, target, rad = (L + 0.85, 0.3), (c["weights"] + 0.5, 0.22), 0.35
        else:
            span = c["source"] - c["weights"]
            start, rad = (c["source"], -0.75), -0.45 - 0.12 * span
            target = (c["weights"] + 0.5 + 0.15 * (span - 1), -0.22)
        ax.add_patch(FancyArrowPatch(start, target, connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
                                     mutation_scale=14, color=colour, ls=ls, lw=1.8, zorder=2))
        arcs.append((c, start, target, rad, colour))
        kinds_seen[c["kind"]] = (colour, ls)
    handles = [Line2D([], [], color=col, ls=ls, lw=1.8) for col, ls in kinds_seen.values()]
    ax.legend(handles, list(kinds_seen), loc="lower center", bbox_to_anchor=(0.5, -0.12), ncol=3,
              frameon=False, fontsize=10)
    below = any(c["kind"] != "backprop" for c in channels)
    ax.set_xlim(-0.4, L + 1.4)
    ax.set_ylim(-1.9 if below else -1.3, 1.9)
    if title:
        ax.set_title(title, fontsize=11)
    fig.tight_layout()
    # label each arc at its middle: arc3 bends in display coordinates (control point at
    # rad x the chord, perpendicular to it); the Bezier midpoint is (P0 + 2 C + P2) / 4
    to_disp, to_data = ax.transData.transform, ax.transData.inverted().transform
    for c, start, target, rad, colour in arcs:
        p0, p2 = to_disp(start), to_disp(target)
        d = p2 - p0
        ctrl = (p0 + p2) / 2 + rad * np.array([d[1], -d[0]])
        xm, ym = to_data((p0 + 2 * ctrl + p2) / 4)
        power = {0: "", 1: r"$\tau$"}.get(c["tau_power"], rf"$\tau^{c['tau_power']}$")
        ax.text(xm, ym, f"{c['name']} {power}".strip(), color=colour, ha="center",
                va="bottom" if c["kind"] == "backprop" else "top", fontsize=10,
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"), zorder=5)
    return fig


def neuron_uncertainty(uncertainty, captions=("this is not a cat", "I don't know", "this is a cat")):
    """Figure 3 of the paper: a sigmoid neuron's activation read as confidence.

    Left: the sigmoid with the three readings of f = 0, 1/2, 1; right: the uncertainty
    density ``uncertainty(y)`` (``gtp.maths.initialisation.uncertainty``), largest at y = 1/2.
    """
    from ..maths.activations import sigmoid

    fig, (ax, bx) = figure(1, 2, height=3.2)
    z = np.linspace(-8, 8, 400)
    ax.plot(z, sigmoid(z), color=PALETTE["blue"], lw=2)
    # labels in the empty corners (above-left and below-right of the curve), with arrows
    for zz, yy, text, xy_text, ha in ((-7.0, 0.0, captions[0], (0.8, 0.08), "left"),
                                      (0.0, 0.5, captions[1], (0.8, 0.4), "left"),
                                      (7.0, 1.0, captions[2], (-7.8, 0.75), "left")):
        ax.plot([zz], [sigmoid(np.array(zz))], "o", color=PALETTE["vermillion"])
        ax.annotate(f"f = {yy:g}: \"{text}\"", (zz, float(sigmoid(np.array(zz)))), xytext=xy_text,
                    ha=ha, va="center", fontsize=9,
                    arrowprops=dict(arrowstyle="-", color="0.5", lw=0.8))
    ax.set_xlabel("pre-activation $z$")
    ax.set_ylabel("activation $y = f(z)$")
    y = np.linspace(0, 1, 200)
    bx.fill_between(y, uncertainty(y), color=PALETTE["sky"], alpha=0.5)
    bx.plot(y, uncertainty(y), color=PALETTE["blue"], lw=2, label="$U(y) = 6y(1-y)$")
    bx.set_xlabel("activation $y$")
    bx.set_ylabel("uncertainty $U(y)$")
    bx.legend(loc="lower center", frameon=False)
    fig.tight_layout()
    return fig
