"""Sphinx extension: the chapters' figures as small palette PNGs.

The chapters draw their figures at twice the pixel density (``InlineBackend.figure_formats
= ["retina"]`` in each chapter's first cell), so that they are sharp on phones and other
high-density screens; the page shows them at their size in CSS pixels (the output's width
and height).  A line plot has few colours but a matplotlib PNG stores every pixel as
24-bit RGB(A): when the build has finished, every PNG in ``_images`` is rewritten as an
8-bit palette PNG (Pillow, median cut refined by one k-means pass, no dithering) when that is smaller and no colour
moves by more than a trace (mean error under ``MAX_MEAN_ERROR`` grey levels, and all but
one pixel in a thousand, anti-aliased edges, under ``MAX_ERROR``), which brings a 2x figure back to about the bytes of the 1x one.
Photographs (the data sets' images) fail the error test and are left as they are.
``tests/test_page_weight.py`` checks it.  The figure's text chunks (its smallest text
size, ``gtp.book.figure_style.TEXT_KEY``) are kept.

While each page is written, every figure image whose PNG records its smallest text size
gets ``--gtp-phone-width`` in its style: the narrowest width at which that text is the
page's small print on a phone (``PHONE_TEXT_PX``); ``_static/custom.css`` keeps the figure
at least that wide on a phone, in a box that scrolls sideways.
"""
import html
import io
import math
import posixpath
import re
from pathlib import Path

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
MAX_MEAN_ERROR = 1.0
MAX_ERROR = 24
#: as gtp.book.figure_style (this extension does not import the book's library)
TEXT_KEY = "gtp:text-px"
PHONE_TEXT_PX = 12.5
IMG = re.compile(r'<img\b[^>]*?\bsrc="(?P<src>[^"]*_images/(?P<name>[^"/]+\.png))"[^>]*>')
STYLE = re.compile(r'\bstyle="(?P<style>[^"]*)"')


def text_px(path):
    """The smallest text size (image pixels) recorded in the PNG at ``path``, and its width."""
    from PIL import Image
    try:
        with Image.open(path) as im:
            value = im.text.get(TEXT_KEY)
            return (float(value), im.size[0]) if value else (None, im.size[0])
    except (OSError, ValueError):
        return None, None


def phone_style(tag, path):
    """``tag`` (an ``<img ...>``) with ``--gtp-phone-width`` in its style, if its PNG says
    how small its text is."""
    px, width = text_px(path)
    if not px:
        return tag
    var = f"--gtp-phone-width: {math.ceil(width * PHONE_TEXT_PX / px)}px;"
    m = STYLE.search(tag)
    if m:
        style = m.group("style").rstrip()
        style = (style + ("" if style.endswith(";") or not style else ";") + " " + var).strip()
        return tag[:m.start()] + f'style="{html.escape(style)}"' + tag[m.end():]
    return tag[:-1].rstrip("/ ") + f' style="{var}"' + (" />" if tag.endswith("/>") else ">")


def figure_phone_widths(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if not body or "_images/" not in body:
        return
    sources = {unique: Path(app.srcdir) / posixpath.normpath(src)
               for src, (_, unique) in app.env.images.items()}

    def sub(m):
        path = sources.get(m.group("name"))
        return phone_style(m.group(0), path) if path is not None and path.exists() else m.group(0)

    context["body"] = IMG.sub(sub, body)


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
    # one k-means pass refines the median-cut palette: about half the error on figures
    # with many translucent bands (the relatives' angle figure passed only with it)
    pal = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE,
                       kmeans=1)
    err = np.abs(np.asarray(pal.convert("RGB"), dtype=int) - np.asarray(rgb, dtype=int)).max(axis=2)
    if err.mean() > MAX_MEAN_ERROR or np.percentile(err, 99.9) > MAX_ERROR:
        return None
    from PIL.PngImagePlugin import PngInfo
    info = PngInfo()
    for key, value in getattr(im, "text", {}).items():
        if key.startswith("gtp:"):
            info.add_text(key, value)
    buf = io.BytesIO()
    pal.save(buf, "PNG", optimize=True, dpi=im.info.get("dpi", (72, 72)), pnginfo=info)
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
    app.connect("html-page-context", figure_phone_widths)
    app.connect("build-finished", shrink_images)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
