"""Marks that must be seen (issue #26): the Euler targets of the no-inversion chapter's
cost landscape (Fig. 6) stand out from every grey of the cost map behind them.  Figures
keep their white background in dark mode (_static/custom.css), so the colours drawn are
the colours seen."""
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgb, to_rgba

from gtp.book import figures_theory as ft


def luminance(rgb):
    """WCAG relative luminance of an sRGB colour."""
    c = np.asarray(to_rgb(rgb), dtype=float)
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(c @ [0.2126, 0.7152, 0.0722])


def contrast(a, b):
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)))
    return (lb + 0.05) / (la + 0.05)


def over_white(rgba):
    r, g, b, a = to_rgba(rgba)
    return tuple(a * np.array([r, g, b]) + (1 - a))


@pytest.fixture(scope="module")
def landscape():
    # the chapter's case (book/theory/no-inversion.md): two neurons feeding one
    fig = ft.inversion_landscape(np.array([[1.5, -2.0]]), np.array([0.3, 0.6]), np.array([0.7]))
    yield fig
    plt.close(fig)


def test_contrast_ratio_of_known_colours():
    assert contrast("white", "black") == pytest.approx(21.0)
    assert contrast("#0072B2", "white") == pytest.approx(5.19, abs=0.01)
    assert over_white((0, 0, 0, 0.45)) == pytest.approx((0.55, 0.55, 0.55))


def test_euler_targets_stand_out_from_the_cost_map(landscape):
    ax = landscape.axes[0]
    euler = next(ln for ln in ax.lines if ln.get_label().startswith("Euler targets"))
    # big, filled blue with a black rim, above every line of the figure
    assert euler.get_marker() == "o" and euler.get_markersize() >= 8
    assert euler.get_markerfacecolor() == "#0072B2" and to_rgb(euler.get_markeredgecolor()) == (0, 0, 0)
    assert euler.get_markeredgewidth() >= 1.5
    others = [ln for ln in ax.lines if ln is not euler and ln.get_marker() in ("None", "", None)]
    assert others and euler.get_zorder() > max(ln.get_zorder() for ln in others)
    # every grey of the cost map (drawn at alpha over white): the face or the rim of a
    # marker contrasts with it by at least 3:1 (WCAG's ratio for graphics)
    cmap = next(c for c in ax.collections if hasattr(c, "levels"))
    greys = [over_white(c) for c in cmap.get_facecolor()]
    assert len(greys) >= 10 and min(map(luminance, greys)) < 0.3      # the map has dark greys
    worst = min(max(contrast(euler.get_markerfacecolor(), g), contrast(euler.get_markeredgecolor(), g))
                for g in greys)
    assert worst >= 3.0, worst
    # the hollow blue circles they replace would fail on the darkest grey
    assert min(contrast("#0072B2", g) for g in greys) < 2.0


def test_start_and_end_marks_are_not_hidden_by_the_euler_targets(landscape):
    ax = landscape.axes[0]
    z = {ln.get_label(): ln.get_zorder() for ln in ax.lines}
    euler = next(v for k, v in z.items() if k.startswith("Euler targets"))
    assert z["nearest preimage"] > euler and z["forward activation $y_l$"] > euler
