"""Figures of the Initialisation part (section 3.2 and Appendix A of the paper).

Two kinds of functions: *studies* compute the data of a figure with ``gtp.maths.initialisation`` (and,
for the training curves, ``gtp.engine.training.early_training_runs``); *figures* draw such data and return a
matplotlib Figure.  Every study takes explicit sizes, inputs and seeds, so a chapter
states its budget and a test can run a tiny one.
"""
import numpy as np

from ..experiments.early_training import early_training_runs  # noqa: F401  (re-exported: chapters call it from here)
from ..maths import initialisation as init
from ..maths.activations import resolve_activations
from ..maths.network import forward
from .figure_style import PALETTE, figure

__all__ = ["SCHEME_LABELS", "SCHEME_COLORS", "resolve_config", "config_variances",
           "depth_study", "first_pass_table", "early_training_runs",
           "uncertainty_densities", "delta_method", "variance_by_depth", "layer_histograms",
           "input_statistics", "early_training", "widget_histograms",
           "preactivation_histograms"]

SCHEME_LABELS = {
    "paper": "paper (eq. 9-10, corrected)", "paper-printed": "paper (printed eq. 6)",
    "paper-exact": "exact variant", "glorot": "Glorot", "he": "He", "normal": "normal, std 0.01",
}
SCHEME_COLORS = {
    "paper": PALETTE["blue"], "paper-printed": PALETTE["orange"], "paper-exact": PALETTE["green"],
    "glorot": PALETTE["vermillion"], "he": PALETTE["purple"], "normal": PALETTE["black"],
}
_DASHES = {"data": (0, (4, 2))}


def resolve_config(config):
    """A scheme name, or ``(label, dict(scheme=..., input_stats=..., std=...))``, as
    ``(label, scheme, kwargs)``; a label ending in "(data)" is drawn dashed."""
    if isinstance(config, str):
        return config, config, {}
    label, kwargs = config
    kwargs = dict(kwargs)
    return label, kwargs.pop("scheme"), kwargs


def config_variances(sizes, config, acts="sigmoid"):
    """Weight variances of ``config`` (see ``resolve_config``) for ``sizes``."""
    _, scheme, kwargs = resolve_config(config)
    return init.scheme_variances(sizes, scheme, acts=acts, **kwargs)


def depth_study(sizes, X, configs, acts="sigmoid", replicates=8, rng=0):
    """Predicted and Monte Carlo moments of every layer for each configuration.

    ``X`` (n, n_0) are the inputs (split into ``replicates`` chunks by
    ``init.monte_carlo_moments``); the prediction uses each example's (1/n_0)||x||^2.
    Returns ``{label: {"scheme", "variances", "pred", "mc"}}`` (insertion ordered).
    """
    X = np.asarray(X, dtype=np.float64)
    q = np.mean(X * X, axis=1)
    out = {}
    for i, config in enumerate(configs):
        label, scheme, _ = resolve_config(config)
        v = config_variances(sizes, config, acts)
        out[label] = {"scheme": scheme, "variances": v,
                      "pred": init.propagate_moments(sizes, v, acts, q),
                      "mc": init.monte_carlo_moments(sizes, v, X, acts, replicates,
                                                     rng=np.random.default_rng([rng, i]))}
    return out


def first_pass_table(study, layer=0):
    """Rows ``(label, N Var(w), delta-method Var(y), exact Var(y), MC Var(y), CI half-width)``
    for one layer of a ``depth_study`` (default: the first hidden layer)."""
    rows = []
    for label, r in study.items():
        rows.append((label, r["variances"][layer], r["pred"]["var_y_delta"][layer],
                     r["pred"]["var_y"][layer], r["mc"]["var_y"][layer],
                     r["mc"]["var_y_ci"][layer]))
    return rows


# --------------------------------------------------------------------------- figures
def uncertainty_densities(var_zs):
    """U(y) (eq. 7) with its mean and standard deviation, and the law of a sigmoid neuron
    whose pre-activation is Normal(0, Var(z)) for each ``{label: Var(z)}`` of ``var_zs``."""
    fig, ax = figure(height=3.6)
    y = np.linspace(0.0005, 0.9995, 801)
    ax.fill_between(y, init.uncertainty(y), color=PALETTE["sky"], alpha=0.35, lw=0)
    ax.plot(y, init.uncertainty(y), color=PALETTE["black"], lw=2.5,
            label="U(y) = 6y(1-y), eq. 7")
    sd = float(init.uncertainty_moment(2) - init.uncertainty_moment(1) ** 2) ** 0.5
    ax.axvline(0.5, color=PALETTE["black"], lw=0.8)
    ax.axvspan(0.5 - sd, 0.5 + sd, color=PALETTE["sky"], alpha=0.15,
               label="mean ± sd of U: 1/2 ± sqrt(1/20)")
    styles = ["-", "--", ":", "-."]
    for i, (label, v) in enumerate(var_zs.items()):
        ax.plot(y, init.logit_normal_pdf(y, v), ls=styles[i % 4], lw=2,
                color=list(SCHEME_COLORS.values())[i % 6], label=label)
    ax.set(xlabel="neuron output y", ylabel="density", xlim=(0, 1), ylim=(0, None))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


def delta_method(marks, var_y=init.UNCERTAINTY_VAR, vmax=3.0):
    """Var(sigmoid(z)) against Var(z) for Gaussian z: exact (quadrature) and the delta
    method (eq. 18, Var(z)/16), with the target ``var_y`` and the Var(z) of each
    ``{label: Var(z)}`` in ``marks``."""
    fig, ax = figure(height=3.4)
    v = np.linspace(1e-4, vmax, 300)
    ax.plot(v, init.gaussian_moments(v)[1], color=PALETTE["blue"], lw=2.5,
            label="exact Var(f(z)), z Gaussian")
    ax.plot(v, init.delta_method_var(v), color=PALETTE["orange"], lw=2, ls="--",
            label="delta method, eq. 18: Var(z)/16")
    ax.axhline(var_y, color=PALETTE["black"], lw=1, ls=":", label="target 1/20")
    markers = ["o", "s", "D", "^"]
    for i, (label, vz) in enumerate(marks.items()):
        ax.plot([vz], init.gaussian_moments(vz)[1], markers[i % 4], ms=8, mfc="white", mew=2,
                color=PALETTE["vermillion"] if i == 0 else list(SCHEME_COLORS.values())[i],
                label=f"{label}: Var(z) = {vz:.3f}")
    ax.set(xlabel="Var(z)", ylabel="Var(y), y = sigmoid(z)", xlim=(0, vmax), ylim=(0, None))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


_DATA_COLORS = {"paper": PALETTE["sky"], "paper-printed": PALETTE["yellow"],
                "paper-exact": PALETTE["green"]}


def _style_of(label, scheme):
    """Line colour and style of a configuration; data-aware ones ("... (data)") are dashed
    and, for the paper's scheme, drawn in a lighter colour than the uniform-input one."""
    if label.endswith("(data)"):
        return dict(color=_DATA_COLORS.get(scheme, SCHEME_COLORS.get(scheme, PALETTE["sky"])),
                    ls=_DASHES["data"])
    return dict(color=SCHEME_COLORS.get(scheme, PALETTE["sky"]), ls="-")


def variance_by_depth(studies, titles, key="var_y", target=init.UNCERTAINTY_VAR, first=1,
                      height=3.6):
    """One panel per study: ``key`` ("var_y" or "var_z") of layers ``first``..L-1 (the
    hidden layers), Monte Carlo (markers, 95% CI bars) and wide-layer prediction (lines),
    on a log scale, with the target 1/20 for Var(y)."""
    fig, axes = figure(1, len(studies), height=height, sharey=True, squeeze=False)
    axes = axes[0]
    for ax, study, title in zip(axes, studies, titles):
        for label, r in study.items():
            L = len(r["variances"])
            layers = np.arange(first, L)                # hidden layers only (1-based index l)
            st = _style_of(label, r["scheme"])
            ax.plot(layers, r["pred"][key][layers - 1], lw=1.5, **st)
            ax.errorbar(layers, r["mc"][key][layers - 1], yerr=r["mc"][key + "_ci"][layers - 1],
                        fmt="o", ms=4, color=st["color"], capsize=2,
                        label=SCHEME_LABELS.get(label, label))
        if key == "var_y" and target:
            ax.axhline(target, color=PALETTE["black"], lw=1, ls=":")
        ax.set_yscale("log")
        ax.set(title=title, xlabel="hidden layer l")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0].set_ylabel({"var_y": "Var(y_l)", "var_z": "Var(z_l)",
                        "var_y_input": "input-driven Var(y_l)",
                        "var_z_input": "input-driven Var(z_l)"}.get(key, key))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False,
               bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.06 + 0.035 * ((len(labels) - 1) // 3), 1, 1))
    return fig


def layer_histograms(sizes, X, configs, layers, acts="sigmoid", rng=0, bins=40):
    """Histograms of the outputs y_l of chosen hidden ``layers`` (columns, 1-based) for
    each configuration (rows), one random draw of the weights on inputs ``X``, with U(y)
    (dashed) for comparison.  ReLU layers are drawn on their own range."""
    names = resolve_activations(acts, len(sizes) - 1)
    fig, axes = figure(len(configs), len(layers), height=1.15 * len(configs) + 0.6,
                       sharex="col", squeeze=False)
    grid = np.linspace(0.001, 0.999, 200)
    for i, config in enumerate(configs):
        label, scheme, _ = resolve_config(config)
        W = init.sample_weights(sizes, config_variances(sizes, config, acts),
                                np.random.default_rng([rng, i]))
        ys = forward(W, X, acts)[1]
        for j, l in enumerate(layers):
            ax = axes[i, j]
            relu = names[l - 1] == "relu"
            rng_ = (0, np.quantile(ys[l], 0.99)) if relu else (0, 1)
            h, edges = np.histogram(ys[l].ravel(), bins=bins, range=rng_, density=True)
            ax.stairs(h, edges, fill=True, color=_style_of(label, scheme)["color"], alpha=0.75)
            if not relu:
                ax.plot(grid, init.uncertainty(grid), color=PALETTE["black"], lw=1, ls="--")
                ax.set_xlim(0, 1)
            ax.set_yticks([])
            ax.grid(False)
            if i == 0:
                ax.set_title(f"layer {l}" + (" (ReLU)" if relu else ""))
            if j == 0:
                ax.set_ylabel(SCHEME_LABELS.get(label, label).replace(" (", "\n("),
                              rotation=0, ha="right", va="center", fontsize=10)
        axes[-1, 0].set_xlabel("y")
    fig.tight_layout(h_pad=0.3, w_pad=0.3)
    return fig


def input_statistics(datasets):
    """Pixel-value histograms (left) and the per-image mean square (1/n)||x||^2 (right)
    of each ``{name: X}``, with the uniform law eq. 30 assumes (mean square 1/3)."""
    fig, (a, b) = figure(1, 2, height=3.4)
    colors = [PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["purple"]]
    edges = np.linspace(0, 1, 41)
    for c, (name, X) in zip(colors, datasets.items()):
        X = np.asarray(X)
        h, _ = np.histogram(X, bins=edges, density=True)
        a.step(edges[:-1], h, where="post", color=c, lw=2, label=name)
        b.hist(np.mean(X.astype(np.float64) ** 2, axis=1), bins=40, range=(0, 0.8),
               density=True, histtype="step", lw=2, color=c, label=name)
    a.axhline(1, color=PALETTE["black"], ls=":", lw=1.5, label="uniform [0, 1]")
    a.set_yscale("log")
    a.set(xlabel="pixel value x", ylabel="density", xlim=(0, 1))
    b.axvline(init.UNIFORM_MEAN ** 2 + init.UNIFORM_VAR, color=PALETTE["black"], ls=":",
              lw=1.5, label="uniform: 1/3")
    b.set(xlabel="(1/n) ||x||² per image", ylabel="density")
    a.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def early_training(runs, rules, schemes, titles):
    """Validation accuracy against examples seen: one panel per rule, one line per scheme
    (mean over seeds) with the band between the worst and best seed."""
    fig, axes = figure(1, len(rules), height=3.6, sharey=True, squeeze=False)
    seen = runs["seen"]
    for ax, rule, title in zip(axes[0], rules, titles):
        for scheme in schemes:
            acc = runs["acc"][(rule, scheme)]
            c = SCHEME_COLORS.get(scheme, PALETTE["sky"])
            ax.plot(seen, acc.mean(axis=0), "o-", ms=3, color=c,
                    label=SCHEME_LABELS.get(scheme, scheme))
            ax.fill_between(seen, acc.min(axis=0), acc.max(axis=0), color=c, alpha=0.15, lw=0)
        ax.set(title=title, xlabel="training examples seen", ylim=(0, 1))
    axes[0, 0].set_ylabel("validation accuracy")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False,
               bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    return fig


def widget_histograms(ys, acts="sigmoid", bins=30):
    """Histograms of the hidden outputs ``ys`` (list, layer 1 first) of the first, middle
    and last hidden layer, with U(y) dashed on sigmoid layers (the panel's figure)."""
    names = resolve_activations(acts, len(ys) + 1)
    layers = sorted({1, (len(ys) + 1) // 2, len(ys)})
    fig, axes = figure(1, len(layers), height=2.4, squeeze=False)
    grid = np.linspace(0.001, 0.999, 200)
    for ax, l in zip(axes[0], layers):
        y = np.ravel(ys[l - 1])
        relu = names[l - 1] == "relu"
        hi = float(np.quantile(y, 0.99)) if relu else 1.0
        h, edges = np.histogram(y, bins=bins, range=(0, hi if hi > 0 else 1.0), density=True)
        ax.stairs(h, edges, fill=True, color=PALETTE["blue"], alpha=0.8)   # one artist: fast
        if not relu:
            ax.plot(grid, init.uncertainty(grid), color=PALETTE["black"], lw=1.2, ls="--",
                    label="U(y)")
            ax.set_xlim(0, 1)
            ax.set_xticks([0, 0.5, 1])
        ax.set_title(f"layer {l}" + (" (ReLU)" if relu else ""))
        ax.set_xlabel("y")
        ax.set_yticks([])
        ax.set_ylim(0, 1.3 * max(float(h.max()), 1.5))      # room for the legend
    if axes[0, 0].get_legend_handles_labels()[0]:
        axes[0, 0].legend(frameon=False, loc="upper left", fontsize=9)
    fig.subplots_adjust(left=0.03, right=0.97, bottom=0.22, top=0.88, wspace=0.12)  # no
    return fig                                                         # tight_layout: faster


def preactivation_histograms(sizes_of, inputs, config="paper", layers=(1, 2, 10),
                             acts="sigmoid", draws=4, rng=0, bins=60):
    """Standardised pre-activations z_l / sd(z_l) of chosen ``layers`` (columns) for each
    ``{name: X}`` of ``inputs`` (rows), pooled over ``draws`` independent draws of the
    weights of ``config``, on a log scale with the standard normal density (dashed).
    ``sizes_of(X)`` gives the layer sizes for inputs ``X`` (the fan-in differs by data set).
    The exact variant and the wide-layer prediction assume z Gaussian given the input."""
    fig, axes = figure(len(inputs), len(layers), height=1.7 * len(inputs) + 0.6,
                       sharex=True, sharey=True, squeeze=False)
    grid = np.linspace(-5, 5, 201)
    phi = np.exp(-grid ** 2 / 2) / np.sqrt(2 * np.pi)
    for i, (name, X) in enumerate(inputs.items()):
        sizes = sizes_of(X)
        v = config_variances(sizes, config, acts)
        pooled = [[] for _ in layers]
        for d in range(draws):
            zs = forward(init.sample_weights(sizes, v, np.random.default_rng([rng, i, d])),
                         X, acts)[0]
            for j, l in enumerate(layers):
                pooled[j].append(np.ravel(zs[l]))
        for j, l in enumerate(layers):
            ax = axes[i, j]
            z = np.concatenate(pooled[j])
            z = (z - z.mean()) / z.std()
            h, edges = np.histogram(z, bins=bins, range=(-5, 5), density=True)
            ax.stairs(h, edges, fill=True, color=PALETTE["blue"], alpha=0.7)
            ax.plot(grid, phi, color=PALETTE["black"], ls="--", lw=1.2)
            ax.set_yscale("log")
            ax.set_ylim(1e-4, 1)
            if i == 0:
                ax.set_title(f"layer {l}")
            if j == 0:
                ax.set_ylabel(name)
            if i == len(inputs) - 1:
                ax.set_xlabel("z / sd(z)")
    fig.tight_layout(h_pad=0.4, w_pad=0.4)
    return fig
