"""Colour check of the built book's figures (no browser needed, only the built site).

The book draws with the Okabe-Ito palette of ``gtp.book.figure_style``.  A figure that
shows both matplotlib's default green and red (``tab:green``, ``tab:red``) was drawn
with the default colour cycle, whose red/green pair is hard to tell apart for the most
common colour-vision deficiencies.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import helpers  # noqa: E402

IMAGES = sorted((helpers.HTML / "_images").glob("*.png")) if helpers.HTML.exists() else []
RED_GREEN = {"tab:green": (0x2C, 0xA0, 0x2C), "tab:red": (0xD6, 0x27, 0x28)}
NEAR = 30          # summed |RGB difference| counted as the same colour
SHARE = 0.002      # fraction of the pixels: a line or a few markers, not anti-aliasing


def colour_shares(path):
    from PIL import Image
    rgb = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3).astype(int)
    return {name: float(np.mean(np.abs(rgb - c).sum(axis=1) < NEAR))
            for name, c in RED_GREEN.items()}


def test_detector_sees_a_default_red_green_plot(tmp_path):
    from PIL import Image, ImageDraw
    im = Image.new("RGB", (200, 100), "white")
    d = ImageDraw.Draw(im)
    d.line([(0, 30), (200, 30)], fill=RED_GREEN["tab:green"], width=4)
    d.line([(0, 70), (200, 70)], fill=RED_GREEN["tab:red"], width=4)
    im.save(tmp_path / "bad.png")
    assert min(colour_shares(tmp_path / "bad.png").values()) > SHARE


@pytest.mark.parametrize("image", IMAGES or [pytest.param(None, marks=pytest.mark.skip(
    "the book is not built, or has no figures"))], ids=lambda p: p.name[:12] if p else "none")
def test_no_default_red_green_pair(image):
    shares = colour_shares(image)
    assert min(shares.values()) <= SHARE, (
        f"{image.name} uses matplotlib's default red and green ({shares}); draw it with "
        f"gtp.book.figure_style (Okabe-Ito palette) so colour-blind readers can tell lines apart")
