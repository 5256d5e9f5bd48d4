"""The v1 tables' gap figure (book/training/tables-v1.md) shows our accuracy minus the
paper's in points on an axis chosen so that half-point differences are visible: means far
below the paper are written at the left edge instead of stretching the axis (issue #26:
on one 15-100 % accuracy axis the differences the text discusses were a dot's width)."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from gtp.book import figures_training as F

GTP, TUNED, BP = ("gtp", "printed"), ("gtp", "tuned"), ("backprop", "printed")


def cell(values):
    return {"n": len(values), "values": list(values), "mean": float(np.mean(values)) if values else None}


def rows():
    """Three MNIST-like rows: GTP with the printed settings near chance on the first."""
    return [
        {"net": "784-100-10", "paper": 97.0,
         "cells": {GTP: cell([19.0, 20.0, 21.0]), TUNED: cell([95.5, 95.7, 95.9]),
                   BP: cell([96.8, 97.0, 97.2])}},
        {"net": "784-500-10", "paper": 98.0,
         "cells": {GTP: cell([94.5, 95.0, 95.5]), TUNED: cell([97.4, 97.6]),
                   BP: cell([98.1, 98.3, 98.5])}},
        {"net": "784-100-100-10", "paper": 97.5, "cells": {GTP: cell([]), BP: cell([97.0])}},
    ]


def test_axis_spans_the_gaps_near_the_paper_in_points():
    fig = F.gap_figure(rows())
    ax = fig.axes[0]
    # shown gaps: tuned -1.5..-0.4, printed -3.5..-2.5 (row 2), backprop -0.5..+0.5;
    # the axis covers them and the +-1 band, with 6 % of the range as margin
    lo, hi = -3.5, 1.0
    pad = 0.06 * (hi - lo)
    assert ax.get_xlim() == pytest.approx((lo - pad, hi + pad))
    assert ax.get_xlim()[1] - ax.get_xlim()[0] < 6          # half a point is >= 1/12 of the axis
    assert ax.get_xlabel() == "test accuracy minus the paper's (points)"
    # the paper is the line at 0, the band +-1 point around it
    assert [ln.get_xdata()[0] for ln in ax.lines if ln.get_label() == "paper"] == [0]
    band = [p for p in ax.patches if p.get_label() == "within 1 point of the paper"]
    assert len(band) == 1 and band[0].get_x() == pytest.approx(-1.0)
    # the mean far below is written at the edge with its gap, not plotted
    assert [t.get_text() for t in ax.texts] == ["-77.0 points (off scale)"]
    assert ax.texts[0].get_color() == "#0072B2"                  # the kind's colour, at its row offset
    assert ax.texts[0].get_position()[1] == pytest.approx(2 - 0.25)
    assert ax.texts[0].get_position()[0] == pytest.approx(lo - pad + 0.01 * (hi - lo + 2 * pad))
    means = {ln.get_label(): ln.get_xdata()[0] for ln in ax.lines if ln.get_marker() == "o"}
    assert means["backprop (same network)"] == pytest.approx(0.0)
    assert means["GTP, tuned on validation"] == pytest.approx(95.7 - 97.0)
    # every seed of the rows on scale, as a gap
    seeds = sorted(x for ln in ax.lines if ln.get_marker() == "." for x in ln.get_xdata())
    assert seeds == pytest.approx(sorted([-3.5, -3.0, -2.5, -1.5, -1.3, -1.1, -0.6, -0.4,
                                          -0.2, 0.0, 0.2, 0.1, 0.3, 0.5, -0.5]))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["784-100-10", "784-500-10", "784-100-100-10"]
    plt.close(fig)


def test_every_mean_near_the_paper_stays_on_scale():
    rs = rows()
    rs[0]["cells"][GTP] = cell([90.0, 91.0])                  # -6.5 points: within 8
    ax = F.gap_figure(rs).axes[0]
    assert len(ax.texts) == 0 and ax.get_xlim()[0] < -7.0
    ax = F.gap_figure(rs, span=5.0).axes[0]                    # now beyond the span
    assert [t.get_text() for t in ax.texts] == ["-6.5 points (off scale)"]
    assert ax.get_xlim()[0] == pytest.approx(-3.5 - 0.06 * 4.5)
    plt.close("all")
