"""The equal-budget comparison of GTP's relatives (gtp.reports.relatives_report and its figures) on
synthetic final-run records written where the protocol writes them: which rows count as
finished, the ranking and the verdict against backprop and GTP, the mean angle curves over
the seeds, the tables and the figures."""
import json
import os

import numpy as np
import pytest

from gtp.book import figures_relatives as F
from gtp.experiments import protocol_v2 as P
from gtp.reports import relatives_report as RR

RULES = ("fa", "dfa", "dtp", "tp")
ALL = ("gtp", "backprop") + RULES
#: test accuracy (fraction) of every seed, per rule, on the first row
ACC = {"gtp": (0.970, 0.972, 0.974), "backprop": (0.980, 0.981, 0.982),
       "fa": (0.979, 0.980, 0.984), "dfa": (0.960, 0.962, 0.961),
       "dtp": (0.971, 0.972, 0.970), "tp": (0.101, 0.098, 0.113)}


def angles(rule, seed, L, epochs=4):
    """Per-epoch angles: backprop 0, the others a seed- and layer-dependent ramp; the output
    layer is backprop's (0); DTP's first hidden layer has no angle at epoch 0 (None)."""
    out = []
    for e in range(epochs + 1):
        a = [0.0 if rule == "backprop" or l == L - 1 else 80.0 - 10 * e + seed + 5 * l
             for l in range(L)]
        if rule == "dtp" and e == 0:
            a[0] = None
        out.append(a)
    return out


def write(root, row, rule, seed, acc, epochs=4):
    L = len(row.sizes) - 1
    rec = {"config": {"dataset": row.dataset, "sizes": list(row.sizes), "rule": rule, "seed": seed},
           "status": "finished", "selection": {"test_acc_at_best": acc},
           "epochs": [{"epoch": e, "angle": a} for e, a in enumerate(angles(rule, seed, L, epochs))]}
    path = P.Protocol([row], root=root, rules=(rule,)).final_path(row, rule, seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(rec, f)


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    """Row 0: every rule, 3 seeds. Row 1: FA has 2 seeds, TP none, the rest 3."""
    rel, v2 = (str(tmp_path_factory.mktemp(n)) for n in ("relatives", "results"))
    rows = P.relatives_rows()[:2]
    for rule in ALL:
        root = v2 if rule in ("gtp", "backprop") else rel
        for s, acc in enumerate(ACC[rule]):
            write(root, rows[0], rule, s, acc)
            if not (rule == "tp" or (rule == "fa" and s == 2)):
                write(root, rows[1], rule, s, acc - 0.1)
    return rel, v2, rows


@pytest.fixture(scope="module")
def summary(roots):
    rel, v2, rows = roots
    return RR.relatives_summary(rel, rows, RULES, v2_root=v2)


def test_summary_reads_both_roots_and_finished_rows_need_every_seed_of_every_rule(summary):
    assert [tuple(d["rules"]) for d in summary] == [ALL, ALL]
    assert summary[0]["rules"]["fa"]["seeds"] == [0, 1, 2]
    assert summary[1]["rules"]["fa"]["seeds"] == [0, 1] and summary[1]["rules"]["tp"]["seeds"] == []
    assert summary[0]["rules"]["dfa"]["mean"] == pytest.approx(np.mean(ACC["dfa"]))
    assert [d["net"] for d in RR.finished_rows(summary)] == [summary[0]["net"]]


def test_verdict_ranks_the_rules_and_judges_them_with_the_seeds_spread(summary):
    v = RR.relatives_verdict(summary[0])
    means = {r: 100 * np.mean(a) for r, a in ACC.items()}
    assert [r for r, _ in v["ranking"]] == sorted(ALL, key=lambda r: -means[r])
    assert v["ranking"][0] == ("backprop", pytest.approx(means["backprop"]))
    fa = v["rules"]["fa"]["to_backprop"]
    std = lambda r: 100 * np.std(ACC[r], ddof=1)  # noqa: E731
    assert fa["diff"] == pytest.approx(means["fa"] - means["backprop"])
    assert fa["tol"] == pytest.approx(max(np.hypot(std("fa"), std("backprop")), 0.1))
    assert fa["reaches"]                                     # 98.10 vs 98.10: equal
    assert not v["rules"]["dfa"]["to_backprop"]["reaches"]   # 1.9 points below
    assert v["rules"]["dtp"]["to_gtp"]["reaches"] and not v["rules"]["dfa"]["to_gtp"]["reaches"]
    assert v["rules"]["backprop"]["to_backprop"] is None and v["rules"]["gtp"]["to_gtp"] is None
    partial = RR.relatives_verdict(summary[1])               # FA and TP unfinished: not judged
    assert set(partial["rules"]) == {"gtp", "backprop", "dfa", "dtp"}


def test_verdict_table_lists_finished_rows_only(summary):
    md = RR.verdict_markdown(summary).splitlines()
    assert len(md) == 3 and summary[0]["net"] in md[2]
    assert "reach backprop" in md[0]
    cells = [c.strip() for c in md[2].split("|")]
    assert cells[3] == "backprop 98.10, FA 98.10, GTP 97.20, DTP 97.10, DFA 96.10, TP 10.40"
    assert cells[4] == "FA"                                   # GTP is 0.9 points below
    assert cells[5] == "backprop, FA, DTP"


def test_mean_angle_curves_over_the_seeds(roots):
    rel, v2, rows = roots
    c = RR.mean_angle_curves(rows[0], "fa", rel)
    L = len(rows[0].sizes) - 1
    expect = np.array([angles("fa", s, L) for s in range(3)], dtype=float)
    assert c["seeds"] == [0, 1, 2] and c["epoch"] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(c["angle"], expect.mean(0))
    np.testing.assert_allclose(c["low"], expect.min(0))
    np.testing.assert_allclose(c["high"], expect.max(0))
    d = RR.mean_angle_curves(rows[0], "dtp", rel)
    assert np.isnan(d["angle"][0, 0]) and not np.isnan(d["angle"][1, 0])
    assert np.all(RR.mean_angle_curves(rows[0], "backprop", v2)["angle"] == 0)
    assert RR.mean_angle_curves(rows[1], "tp", rel) is None


def test_angle_table_gives_the_last_epoch_of_every_hidden_layer(roots):
    rel, v2, rows = roots
    curves = {(rows[0].dataset, rows[0].net): {"fa": RR.mean_angle_curves(rows[0], "fa", rel),
                                               "tp": None}}
    md = RR.angle_markdown(curves).splitlines()
    H = len(rows[0].sizes) - 2
    assert md[0].count("W_") == H and len(md) == 3                 # TP without runs: no line
    assert md[2].split("|")[4].strip() == f"{80 - 40 + 1:.0f}°"    # W_0 at epoch 4, mean seed 1


def test_figures_draw_every_row_with_runs(roots, summary):
    rel, v2, rows = roots
    fig = F.accuracy_comparison(summary)
    first, second = [ax for ax in fig.axes if ax.get_visible()]
    assert [t.get_text() for t in first.get_yticklabels()] == ["GTP", "backprop", "FA", "DFA", "DTP", "TP"]
    texts = lambda ax: [t.get_text() for t in ax.texts]  # noqa: E731
    assert texts(first) == ["10.4%, off scale"] and texts(second) == ["not run yet"]
    lo, hi = first.get_xlim()                                  # 6 points below the best seed
    assert lo == pytest.approx(98.4 - 6) and hi > 100 * summary[0]["paper"]
    curves = {(r.dataset, r.net): {rule: RR.mean_angle_curves(r, rule, v2 if rule in ("gtp", "backprop") else rel)
                                   for rule in ALL} for r in rows}
    fig = F.angle_comparison(curves)
    H = max(len(r.sizes) - 2 for r in rows)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == sum(len(r.sizes) - 2 for r in rows) and len(fig.axes) == 2 * H
    assert sorted(ax.get_title() for ax in visible if ax.get_title()) == \
        [f"$W_{{{l}}}$ (into hidden layer {l + 1})" for l in range(H)]   # one per column
    assert {t.get_text() for t in fig.legends[0].get_texts()} >= {"feedback alignment", "backprop"}


def test_cli_summary_prints_the_table_and_the_verdict(roots, tmp_path, capsys):
    """GTP's and backprop's numbers come from the committed v2 runs (MNIST 784-500-500-10 is
    finished there), the relatives' from --root."""
    from gtp.cli import main
    from gtp.engine.records import RESULTS_ROOT
    rel, _v2, rows = roots
    top = tmp_path / "top"                 # a results folder: relatives/ from --root, v2/ committed
    top.mkdir()
    os.symlink(rel, top / "relatives")
    os.symlink(os.path.join(RESULTS_ROOT, "v2"), top / "v2")
    assert main(["summary", "relatives", "--root", str(top)]) == 0
    out = capsys.readouterr().out
    assert "Verdict (rows where every rule finished)" in out
    assert "| mnist | 784-500-500-10 | backprop " in out or "| mnist | 784-500-500-10 | FA " in out
    (tmp_path / "empty" / "relatives").mkdir(parents=True)
    assert main(["summary", "relatives", "--root", str(tmp_path / "empty")]) == 0
    assert "No row is finished for every rule yet." in capsys.readouterr().out


def test_space_table_lists_every_searched_parameter():
    row = P.relatives_rows()[0]
    md = RR.space_markdown(row, ("backprop", "dtp")).splitlines()
    assert md[2] == "| backprop | eta | 0.01 to 1 (log scale) |"
    names = [line.split("|")[2].strip() for line in md[2:]]
    assert names == list(P.space(row, "backprop")) + list(P.space(row, "dtp"))
    assert sum(1 for line in md[2:] if line.split("|")[1].strip()) == 2      # one name per rule


def test_choices_table_reads_each_rules_search(tmp_path):
    rel, v2 = tmp_path / "rel", tmp_path / "v2"
    row = P.relatives_rows()[0]
    for rule, root, params, edge in (("gtp", v2, {"tau": 102.0, "eta": 3.5e-4, "gain": 0.01, "acts": "paper"}, ["gain"]),
                                     ("dtp", rel, {"eta": 0.06, "eta_hat": 0.22, "acts": "sigmoid"}, [])):
        path = P.Protocol([row], root=str(root), rules=(rule,)).search_path(row, rule)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump({"status": "finished", "choice": {"params": params, "at_edge": edge, "val_acc": 0.9646}}, f)
    md = RR.choices_markdown([row], ("dtp",), str(rel), str(v2)).splitlines()
    assert [line.split("|")[3].strip() for line in md[2:]] == ["GTP", "backprop", "DTP"]
    assert md[2].endswith("| GTP | tau 102, eta 0.00035, gain 0.01 | paper | gain | 96.46 |")
    assert md[3].endswith("| backprop | search not finished |  |  |  |")
    assert md[4].endswith("| DTP | eta 0.06, eta_hat 0.22 | sigmoid | none | 96.46 |")


def _legend_above_panels(fig):
    """The legend's bottom edge and the top edge of the highest panel, in figure pixels."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    legend = fig.legends[0].get_window_extent(r)
    panels = [ax.get_tightbbox(r) for ax in fig.axes if ax.get_visible()]
    return legend.y0, max(p.y1 for p in panels), legend.y1, fig.bbox.height


def test_comparison_legends_sit_above_the_first_row(roots, summary):
    """A reader meets the legend with the first row of panels, not a screen below it."""
    rel, v2, rows = roots
    curves = {(r.dataset, r.net): {rule: RR.mean_angle_curves(r, rule, v2 if rule in ("gtp", "backprop") else rel)
                                   for rule in ALL} for r in rows}
    for fig in (F.angle_comparison(curves), F.accuracy_comparison(summary)):
        bottom, panels_top, top, height = _legend_above_panels(fig)
        assert bottom >= panels_top - 1 and top <= height + 1, (bottom, panels_top, top, height)
    # its colours are the registry's, one per rule
    from gtp.engine.rules import get_rule
    legend = F.angle_comparison(curves).legends[0]
    by_label = {get_rule(r).label: get_rule(r).colour for r in ALL}
    assert {t.get_text(): h.get_color() for t, h in zip(legend.get_texts(), legend.get_lines())} == by_label
