"""Sphinx extension: the static twins' frames as image files of the site, not inside pages.

A static twin (``gtp/twins.py``) carries every frame of its grid as a base64 image inside
the chapter's output, which is what a notebook needs (one self-contained file).  On the
web site that made a page with twins 5-6.5 MB, all of it loaded before the first frame
shows and none of it cached from one visit to the next.  While each page is written,
this extension moves every frame of the page's twins (``script.gtp-twin-data`` and the
first ``img.gtp-twin-frame``) into ``_static/twins/<content hash>.webp`` (or ``.png``) and points the
twin at that file: the page loads the frames it shows, ``_static/twin.js`` fetches the
others once the reader reaches for a control, and a browser caches them all (the name
changes with the content).  The ``.ipynb`` downloads keep their frames inside.
"""
import base64
import hashlib
import json
import posixpath
import re
from pathlib import Path

FOLDER = "_static/twins"
DATA = re.compile(r'(<script type="application/json" class="gtp-twin-data">)(.*?)(</script>)', re.S)
FIRST = re.compile(r'(<img class="gtp-twin-frame" src=")(data:image/(?:png|webp);base64,[^"]+)(")')
KINDS = {"data:image/png;base64": ".png", "data:image/webp;base64": ".webp"}


def store(src, outdir):
    """Write the image of the data address ``src`` (PNG or WebP) under ``outdir/FOLDER``;
    its site path."""
    kind, data = src.split(",", 1)
    png = base64.b64decode(data)
    name = hashlib.sha256(png).hexdigest()[:20] + KINDS[kind]
    path = Path(outdir) / FOLDER / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
    return f"{FOLDER}/{name}"


def externalise(body, pagename, outdir):
    """``body`` with every twin frame replaced by the address of its file."""
    up = posixpath.relpath(".", posixpath.dirname(pagename) or ".")

    def rel(site_path):
        return site_path if up == "." else f"{up}/{site_path}"

    def data(m):
        payload = json.loads(m.group(2).replace("<\\/", "</"))
        for frame in payload.get("frames", []):
            if frame["src"].split(",", 1)[0] in KINDS:
                frame["src"] = rel(store(frame["src"], outdir))
        text = json.dumps(payload, separators=(",", ":")).replace("</", "<\\/")
        return m.group(1) + text + m.group(3)

    body = DATA.sub(data, body)
    return FIRST.sub(lambda m: m.group(1) + rel(store(m.group(2), outdir)) + m.group(3), body)


def move_frames(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and "gtp-twin-data" in body:
        context["body"] = externalise(body, pagename, app.outdir)


def setup(app):
    app.connect("html-page-context", move_frames, priority=880)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
