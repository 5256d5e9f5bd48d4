"""The build extensions that keep the pages light: _ext/lean_icons.py (the icons the
pages use instead of FontAwesome's whole script and fonts), _ext/twin_frames.py (twin
frames as cached files of the site instead of base64 inside the pages) and
_ext/figure_images.py (2x figures as palette PNGs)."""
import base64
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import figure_images  # noqa: E402
import lean_icons  # noqa: E402
import twin_frames  # noqa: E402


def theme_bundle():
    import pydata_sphinx_theme
    path = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" /
            "static" / "scripts" / "fontawesome.js")
    if not path.exists():
        pytest.skip(f"no {path}")
    return path.read_text(encoding="utf-8")


def test_icons_are_read_from_the_themes_fontawesome():
    packs = lean_icons.packs(theme_bundle())
    assert set(packs) == {"fas", "far", "fab"}
    assert len(packs["fas"]) > 1000 and len(packs["fab"]) > 300
    w, h, path = packs["fas"]["rocket"]
    assert (w, h) == (512, 512) and path.startswith("M")
    assert packs["fab"]["github"][1] == 512
    assert packs["far"]["trash-alt"] == packs["far"]["trash-can"]        # an alias


def test_only_the_icons_the_pages_use_are_kept():
    bundle = theme_bundle()
    pages = ['<i class="fa-solid fa-rocket fa-lg"></i> <span class="fab fa-github"></span>',
             '<i class="fa-regular fa-moon"></i> <i class="fas fa-fw fa-download"></i>',
             'el.innerHTML = \'<i class="fa-solid fa-xmark"></i>\'', '<p class="fancy">x</p>']
    script, icons = lean_icons.lean_script(bundle, pages)
    assert set(icons) == {"fas rocket", "fab github", "far moon", "fas download", "fas xmark"}
    assert len(script) < 20_000 < len(bundle) // 50
    assert "svg-inline--fa" in script and lean_icons.PACK_START not in script


def png(colour):
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def test_twin_frames_become_files_of_the_site(tmp_path):
    a, b = png((0, 114, 178)), png((230, 159, 0))
    data = {"controls": [{"name": "tau", "texts": ["1", "2"]}],
            "frames": [{"src": a, "alt": "one", "readout": "r"},
                       {"src": b, "alt": "two</b>", "readout": "r"}]}
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    body = (f'<p>x</p><div class="gtp-twin" id="twin-t"><img class="gtp-twin-frame" src="{a}" '
            f'alt="one"><script type="application/json" class="gtp-twin-data">{payload}</script>'
            f'</div>')
    out = twin_frames.externalise(body, "book/theory/page", tmp_path)
    assert "base64" not in out and len(out) < len(body)
    files = sorted((tmp_path / "_static" / "twins").glob("*.png"))
    assert len(files) == 2                                      # frame a is stored once
    moved = json.loads(out.split('class="gtp-twin-data">')[1].split("</script>")[0]
                       .replace("<\\/", "</"))
    srcs = [f["src"] for f in moved["frames"]]
    assert all(s.startswith("../../_static/twins/") for s in srcs)
    assert f'src="{srcs[0]}"' in out and moved["frames"][1]["alt"] == "two</b>"
    assert {(tmp_path / "book" / "theory" / s).resolve() for s in srcs} == \
        {f.resolve() for f in files}
    assert base64.b64decode(b.split(",", 1)[1]) in [f.read_bytes() for f in files]
    # a page at the top of the site
    top = twin_frames.externalise(body, "index", tmp_path)
    assert 'src="_static/twins/' in top
    # WebP frames (what gtp's twins draw) keep their kind
    webp = body.replace("data:image/png;", "data:image/webp;")
    out = twin_frames.externalise(webp, "page", tmp_path)
    assert "base64" not in out and '.webp"' in out


def test_fonts_keep_the_glyphs_the_stylesheets_name():
    css = ['.fa-rocket:before{content:"\\f135"}.fa-trash-alt:before,.fa-trash-can:before'
           '{content:"\\f2ed"}',
           ':root{--pst-icon-bell:"\uf0f3";--pst-icon-share:"\\f064"}',
           '.admonition-title:after{content:"\\f05a";font:var(--fa-font-solid)}']
    assert lean_icons.css_glyphs(css) == {0xF0F3, 0xF064, 0xF05A}


def test_figures_become_palette_pngs_when_faithful():
    import io

    import numpy as np
    from PIL import Image, ImageDraw
    im = Image.new("RGB", (400, 300), "white")
    d = ImageDraw.Draw(im)
    for k, colour in enumerate([(0, 114, 178), (230, 159, 0), (0, 158, 115)]):
        d.line([(0, 50 + 80 * k), (400, 20 + 90 * k)], fill=colour, width=3)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    small = figure_images.palette_png(buf.getvalue())
    assert small is not None and len(small) < len(buf.getvalue())
    back = np.asarray(Image.open(io.BytesIO(small)).convert("RGB"), dtype=int)
    assert np.abs(back - np.asarray(im, dtype=int)).max() == 0          # few colours: exact
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8))
    buf = io.BytesIO()
    noise.save(buf, "PNG")
    assert figure_images.palette_png(buf.getvalue()) is None           # a photograph: kept
