"""Every learning rule has a colour of its own (issue #26): the registry
(``gtp.engine.rules``) is the one source of the rules' colours in every figure, and any two
of them differ by at least ``RULE_COLOUR_MIN_DE`` (CIEDE2000), with normal colour vision
and, a little less, with simulated protanopia and deuteranopia."""
import itertools

import pytest

from gtp.book import figure_style as fs
from gtp.engine import rules as R

#: the rules the book ships (the registry's modules; tests may register more at run time)
BUILT_IN = {name: R.get_rule(name).colour for name in R._MODULES}


@pytest.mark.parametrize("lab1, lab2, expected", [
    # Sharma, Wu & Dalal (2005), Table 1: pairs 1, 7, 17, 25 and 13
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0009), 7.1792),
])
def test_delta_e_matches_the_published_test_pairs(lab1, lab2, expected):
    assert fs.delta_e(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert fs.delta_e(lab2, lab1) == pytest.approx(expected, abs=1e-4)


def test_lab_of_known_colours():
    assert fs.lab("#FFFFFF") == pytest.approx([100.0, 0.0, 0.0], abs=0.01)
    assert fs.lab("#000000") == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)
    assert fs.lab("#FF0000") == pytest.approx([53.24, 80.09, 67.20], abs=0.02)   # sRGB red
    # a grey looks the same to every eye
    assert fs.lab("#808080", "deuteranopia") == pytest.approx(fs.lab("#808080"), abs=0.05)


def test_the_registry_gives_every_built_in_rule_a_colour():
    assert set(BUILT_IN) == {"gtp", "backprop", "fa", "dfa", "dtp", "tp"}
    assert len(set(BUILT_IN.values())) == len(BUILT_IN)


@pytest.mark.parametrize("vision, floor", [(None, fs.RULE_COLOUR_MIN_DE),
                                           ("protanopia", fs.RULE_COLOUR_MIN_DE_CVD),
                                           ("deuteranopia", fs.RULE_COLOUR_MIN_DE_CVD)])
def test_every_pair_of_rule_colours_is_far_apart(vision, floor):
    close = [(a, b, round(fs.colour_difference(BUILT_IN[a], BUILT_IN[b], vision), 1))
             for a, b in itertools.combinations(BUILT_IN, 2)
             if fs.colour_difference(BUILT_IN[a], BUILT_IN[b], vision) < floor]
    assert not close, f"rule colours closer than {floor} (CIEDE2000, {vision or 'normal vision'}): {close}"


def test_the_old_colours_would_fail():
    """The palette before issue #26: TP sky blue beside GTP's blue (22.3), DTP vermillion
    beside FA's orange (22.2)."""
    assert fs.colour_difference(BUILT_IN["gtp"], "#56B4E9") == pytest.approx(22.3, abs=0.05)
    assert fs.colour_difference(BUILT_IN["fa"], "#D55E00") == pytest.approx(22.2, abs=0.05)
    assert max(22.3, 22.2) < fs.RULE_COLOUR_MIN_DE
    # and the closest pair now: DTP and TP, two reds of different lightness
    assert fs.colour_difference(BUILT_IN["dtp"], BUILT_IN["tp"]) == pytest.approx(30.0, abs=0.05)
