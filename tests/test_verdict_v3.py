"""Protocol v3's verdict (gtp.reports.verdict_v3): the counts, margins and sentence of the
plain verdict, and what the interventions say about each gap, on synthetic result files with
known answers."""
import json
import os

import numpy as np
import pytest

from gtp.experiments import protocol_v3 as P3
from gtp.maths import paper
from gtp.reports import verdict_v3 as V

ROWS = paper.rows_of((1, 2, 3))
R1, R2 = ROWS[0], ROWS[1]                           # MNIST 784-100-10, 784-200-10
R_CIFAR = next(r for r in ROWS if r.dataset == "cifar-10")


def _cell(mean, std, state="done"):
    return {"mean": mean, "std": std, "n": 3 if state == "done" else 1, "state": state}


def _row(row, gtp, bp, paper_value=None):
    return {"table": row.table, "dataset": row.dataset, "net": row.net,
            "paper": row.paper if paper_value is None else paper_value, "gtp": gtp, "backprop": bp}


def _verdict_rows():
    return [
        # trails backprop (0.5 > 0.141), reaches the paper (97.0 >= 97.05 - 0.1)
        _row(R1, _cell(97.0, 0.1), _cell(97.5, 0.1), 97.05),
        # reaches backprop (0.1 < 0.224), not the paper (98.0 < 98.5 - 0.2)
        _row(R2, _cell(98.0, 0.2), _cell(98.1, 0.1), 98.5),
        # above backprop and the paper
        _row(R_CIFAR, _cell(45.0, 1.0), _cell(44.0, 0.5), 44.0),
        # not finished: only counted as pending
        _row(ROWS[6], _cell(87.0, 0.0, "final runs"), _cell(88.0, 0.1)),
    ]


def test_plain_verdict_counts_margins_and_the_largest_shortfall():
    v = V.plain_verdict(_verdict_rows())
    assert (v["rows"], v["total"]) == (3, 4)
    assert v["pending"] == [f"Fashion-MNIST {ROWS[6].net}"]
    assert (v["reaches_backprop"], v["reaches_paper"]) == (2, 2)
    assert v["margins"] == pytest.approx([-0.5, -0.1, 1.0])
    assert v["mean_margin"] == pytest.approx(0.4 / 3)
    assert v["std_margin"] == pytest.approx(np.std([-0.5, -0.1, 1.0], ddof=1))
    assert v["largest"]["row"] == "MNIST 784-100-10"
    assert v["largest"]["margin"] == pytest.approx(-0.5) and v["largest"]["tol"] == pytest.approx(np.sqrt(0.02))
    mnist = v["per_dataset"]["MNIST"]
    assert (mnist["rows"], mnist["reaches_backprop"], mnist["reaches_paper"]) == (2, 1, 1)
    assert mnist["mean_margin"] == pytest.approx(-0.3)
    assert list(v["per_dataset"]) == ["MNIST", "CIFAR-10"]


def test_reaching_is_within_the_seeds_spread_and_at_least_the_floor():
    floor = P3.V3["floor"]
    at = V.plain_verdict([_row(R1, _cell(97.0, 0.0), _cell(97.0 + floor, 0.0), 97.0 + floor)])
    assert (at["reaches_backprop"], at["reaches_paper"]) == (1, 1)                 # exactly the floor
    past = V.plain_verdict([_row(R1, _cell(97.0, 0.0), _cell(97.0 + floor + 1e-9, 0.0), 97.0 + floor + 1e-9)])
    assert (past["reaches_backprop"], past["reaches_paper"]) == (0, 0)


def test_the_sentence_answers_the_claim_from_the_same_numbers():
    v = V.plain_verdict(_verdict_rows())
    s = V.verdict_sentence(v)
    assert "holds on 2 of 3 rows" in s and "reaches the paper's own number on 2 of 3 rows" in s
    assert "on average 0.13 points above backprop (± 0.78 over rows)" in s
    assert "at most 0.50 points below on MNIST 784-100-10 (± 0.14 over seeds)" in s
    assert "3 of 4 rows finished" in s
    done = V.plain_verdict(_verdict_rows()[:3])
    assert "still running" not in V.verdict_sentence(done)
    ahead = V.plain_verdict([_verdict_rows()[2]])
    assert "above it on every row" in V.verdict_sentence(ahead)
    assert "no verdict yet" in V.verdict_sentence(V.plain_verdict(_verdict_rows()[3:]))
    table = V.per_dataset_markdown(v)
    assert "| MNIST | 2 | 1 | 1 | -0.30 ± 0.28 | -0.50 |" in table
    assert table.splitlines()[-1].startswith("| all | 3 | 2 | 2 | +0.13 ± 0.78 | -0.50 |")


# ---------------------------------------------------------------- interventions, from files
def _write(path, rec):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(rec, f)


def _rec(acc, seed, **extra):
    return dict({"status": "finished", "config": {"seed": seed},
                 "selection": {"test_acc_at_best": acc / 100, "test_acc_last": acc / 100}}, **extra)


def _finals(plan, row, gtp, bp):
    for rule, accs in (("gtp", gtp), ("backprop", bp)):
        for seed, a in enumerate(accs):
            _write(plan.final_path(row, rule, seed), _rec(a, seed))


def _intervene(plan, row, name, accs):
    for seed, a in zip(P3.V3["intervention_seeds"], accs):
        _write(plan.intervention_path(row, name, seed), _rec(a, seed, intervention=name))


@pytest.fixture
def root(tmp_path):
    plan = P3.ProtocolV3(ROWS, root=str(tmp_path))
    # R1 trails backprop by 1.0: GTP 96.9, 97.0, 97.1 (seeds 0 and 1: 96.95), backprop 98.0
    _finals(plan, R1, [96.9, 97.0, 97.1], [98.0, 98.0, 98.0])
    _intervene(plan, R1, "activation-start", [97.75, 97.85])     # +0.85 of 1.0, beyond the spread
    _intervene(plan, R1, "backprop-rates", [96.9, 97.1])         # +0.05: within the spread
    _intervene(plan, R1, "double-epochs", [99.0])                # one seed of two: not judged yet
    # R2 trails backprop; every intervention has run and none moves it: cause unknown
    _finals(plan, R2, [97.0, 97.0, 97.0], [98.0, 98.0, 98.0])
    for name in P3.INTERVENTIONS:
        _intervene(plan, R2, name, [97.0, 97.05])
    # a control: GTP above backprop and the paper
    _finals(plan, R_CIFAR, [50.0, 50.0, 50.0], [49.0, 49.0, 49.0])
    _intervene(plan, R_CIFAR, "activation-start", [49.0, 49.0])
    return str(tmp_path)


def test_interventions_shift_against_the_same_seeds_and_close_only_beyond_the_spread(root):
    data = {d["row"]: d for d in V.interventions_data(root)}
    assert list(data) == ["MNIST 784-100-10", "MNIST 784-200-10", "CIFAR-10 3072-100-10"]
    d = data["MNIST 784-100-10"]
    assert d["reference"] == "backprop" and d["gap"] == pytest.approx(1.0)
    a = d["interventions"]["activation-start"]
    assert a["base"] == pytest.approx(96.95) and a["shift"] == pytest.approx(0.85)
    assert a["tol"] == pytest.approx(np.hypot(np.std([97.75, 97.85], ddof=1), np.std([96.9, 97.0], ddof=1)))
    assert a["closes"] and a["fraction"] == pytest.approx(0.85)
    b = d["interventions"]["backprop-rates"]
    assert b["shift"] == pytest.approx(0.05) and not b["closes"]
    e = d["interventions"]["double-epochs"]
    assert (e["n"], e["expected"]) == (1, 2) and e["shift"] == pytest.approx(99.0 - 96.9) and not e["closes"]
    c = data["CIFAR-10 3072-100-10"]
    assert c["reference"] is None and c["gap"] is None and not c["interventions"]["activation-start"]["closes"]


def test_a_reason_only_where_an_intervention_closes_the_gap(root):
    data = V.interventions_data(root)
    rs = {r["row"]: r for r in V.reasons(data)}
    assert set(rs) == {"MNIST 784-100-10", "MNIST 784-200-10"}                  # the control needs none
    assert rs["MNIST 784-100-10"]["state"] == "reason"
    assert [n for n, _ in rs["MNIST 784-100-10"]["reasons"]] == ["activation-start"]
    assert rs["MNIST 784-100-10"]["running"] == ["double-epochs"]
    assert rs["MNIST 784-200-10"]["state"] == "unknown" and not rs["MNIST 784-200-10"]["reasons"]
    text = V.reasons_markdown(data)
    assert "no Hebbian terms (the activation start) closes 85 % of the gap (+0.85 ± 0.10 points)" in text
    assert "MNIST 784-200-10** (trails backprop by 1.00 points): no intervention closes the gap: the cause is unknown." \
        in text
    table = V.interventions_markdown(data)
    assert "+2.10 ± 0.10 (1 of 2 seeds)" in table
    assert "neither (control; +1.00 against backprop)" in table


def test_the_relatives_ranking_reports_ties_within_the_spread():
    rules = ("gtp", "backprop", "fa", "dfa")
    row = _row(R1, _cell(97.4, 0.1), _cell(98.0, 0.1))
    row.update(fa=_cell(97.3, 0.05), dfa=_cell(96.0, 0.2))        # FA ties with GTP, DFA is behind
    unfinished = _row(R2, _cell(97.0, 0.1), _cell(98.0, 0.1))
    unfinished.update(fa=_cell(97.0, 0.1), dfa=_cell(96.0, 0.0, "final runs"))
    lines = V.ranking_markdown([row, unfinished], rules).splitlines()
    assert len(lines) == 3                                          # the unfinished network is left out
    assert lines[2] == ("| MNIST | 784-100-10 | backprop 98.00, GTP 97.40, FA 97.30, DFA 96.00 | "
                        "backprop, FA | DFA |")
