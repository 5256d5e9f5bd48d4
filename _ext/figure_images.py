"""Sphinx extension: the chapters' figures as small palette PNGs.

The chapters draw their figures at twice the pixel density (``InlineBackend.figure_formats
= ["retina"]`` in each chapter's first cell), so that they are sharp on phones and other
high-density screens; the page shows them at their size in CSS pixels (the output's width
and height).  A line plot has few colours but a matplotlib PNG stores every pixel as
24-bit RGB(A): when the build has finished, every PNG in ``_images`` is rewritten as an
8-bit palette PNG (Pillow, median cut, no dithering) when that is smaller and no colour
moves by more than a trace (mean error under ``MAX_MEAN_ERROR`` grey levels, and all but
one pixel in a thousand, anti-aliased edges, under ``MAX_ERROR``), which brings a 2x figure back to about the bytes of the 1x one.
Photographs (the data sets' images) fail the error test and are left as they are.
``tests/test_page_weight.py`` checks it.
"""
import io
from pathlib import Path

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
MAX_MEAN_ERROR = 1.0
MAX_ERROR = 24


def palette_png(data):
    """``data`` (PNG bytes) as a palette PNG when that is smaller and faithful, else ``None``."""
    import numpy as np
    from PIL import Image
    im = Image.open(io.BytesIO(data))
    if im.mode == "P":
        return None
    rgba = im.convert("RGBA")
    if rgba.getextrema()[3][0] < 255:
        return None                                  # transparency: keep as drawn
    rgb = rgba.convert("RGB")
    pal = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    err = np.abs(np.asarray(pal.convert("RGB"), dtype=int) - np.asarray(rgb, dtype=int)).max(axis=2)
    if err.mean() > MAX_MEAN_ERROR or np.percentile(err, 99.9) > MAX_ERROR:
        return None
    buf = io.BytesIO()
    pal.save(buf, "PNG", optimize=True, dpi=im.info.get("dpi", (72, 72)))
    out = buf.getvalue()
    return out if len(out) < len(data) else None


def shrink_images(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    before = after = 0
    for path in sorted((Path(app.outdir) / "_images").glob("*.png")):
        data = path.read_bytes()
        small = palette_png(data)
        before += len(data)
        if small is not None:
            path.write_bytes(small)
        after += len(small if small is not None else data)
    if before:
        LOGGER.info(f"figure_images: figures {before / 1e6:.2f} MB -> {after / 1e6:.2f} MB")


def setup(app):
    app.connect("build-finished", shrink_images)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
