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


# --------------------------------------------------------------------------- text on a phone
import io  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from gtp.book import figure_style as fs  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
import figure_images  # noqa: E402


def small_text_figure():
    fig, (a, b) = fs.figure(1, 2, pyplot=False)
    a.plot([0, 1], [0, 1], label="line")
    a.legend(fontsize=8)                       # the smallest text: 8 pt
    b.set_title("title", fontsize=12)
    b.text(0.5, 0.5, "", fontsize=4)           # empty: not text a reader sees
    b.set_xlabel("hidden", fontsize=5).set_visible(False)
    return fig


def test_smallest_text_counts_only_visible_text():
    fig = small_text_figure()
    fig.canvas.draw()                           # tick labels exist once drawn
    assert fs.smallest_text_pt(fig) == 8
    fig.axes[0].set_visible(False)              # a hidden panel's texts do not count
    assert fs.smallest_text_pt(fig) == 10       # the other panel's tick labels (book style)


def test_png_bytes_records_the_smallest_text_in_pixels():
    from PIL import Image
    png = fs.png_bytes(small_text_figure(), dpi=80)
    assert fs.text_size(png) == pytest.approx(8 * 80 / 72, abs=0.01)
    assert Image.open(io.BytesIO(png)).size == (560, 256)          # 7 x 3.2 in at 80 dpi
    assert fs.text_size(fs.png_bytes(small_text_figure(), dpi=160)) == pytest.approx(17.78)


def test_inline_png_is_retina_with_the_text_size_and_half_size_metadata():
    from matplotlib_inline.backend_inline import InlineBackend
    cfg = InlineBackend.instance()
    saved = set(cfg.figure_formats)
    try:
        cfg.figure_formats = {"retina"}
        fig = small_text_figure()
        data, meta = fs._inline_png(fig)
        from PIL import Image
        w, h = Image.open(io.BytesIO(data)).size
        assert meta == {"width": w // 2, "height": h // 2}
        assert fs.text_size(data) == pytest.approx(8 * fig.dpi * 2 / 72, abs=0.01)
        cfg.figure_formats = {"svg"}
        assert fs._inline_png(fig) is None
    finally:
        cfg.figure_formats = saved


def test_palette_conversion_keeps_the_text_size():
    fig, ax = fs.figure(pyplot=False)
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=200)
    png = fs.with_text_size(buf.getvalue(), 27.78)
    small = figure_images.palette_png(png)
    assert small is not None and len(small) < len(png)
    assert fs.text_size(small) == pytest.approx(27.78)


def test_phone_width_of_a_figure_tag(tmp_path):
    path = tmp_path / "f.png"
    path.write_bytes(fs.with_text_size(fs.png_bytes(small_text_figure(), dpi=160), 25.0))
    tag = '<img alt="a" src="../_images/f.png" style="width: 700px; height: 320px;" />'
    # 1120 px wide, 25 px text: 12.5 px text at 560 px
    assert figure_images.phone_style(tag, path) == \
        '<img alt="a" src="../_images/f.png" style="width: 700px; height: 320px; --gtp-phone-width: 560px;" />'
    assert figure_images.phone_style('<img src="x.png">', path) == '<img src="x.png" style="--gtp-phone-width: 560px;">'
    plain = tmp_path / "plain.png"
    plain.write_bytes(figure_images.palette_png(path.read_bytes()) or b"")
    assert figure_images.text_px(tmp_path / "missing.png") == (None, None)


def test_twin_frames_carry_their_text_size():
    from gtp.book import twins
    fig = small_text_figure()
    spec = twins.TwinSpec("t", "T", (twins.Control("a", "a", (1, 2), 1),),
                          lambda v: twins.Frame(fs.png_bytes(fig), "k"))
    r = twins.render(spec)
    assert r["text_px"] == pytest.approx(8.89) and r["width"] == 560
    assert twins.phone_width(560, 8.89) == 788                     # ceil(560 * 12.5 / 8.89)
    html = twins.twin_html(spec, r)
    assert '<div class="gtp-twin-scroll" data-text-px="8.89" data-width="560" ' \
           'style="--gtp-phone-width: 788px"><img class="gtp-twin-frame"' in html
