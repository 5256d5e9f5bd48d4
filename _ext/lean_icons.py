"""Sphinx extension: the site's icons without FontAwesome's 1.5 MB of JavaScript.

pydata-sphinx-theme loads ``_static/scripts/fontawesome.js`` on every page: FontAwesome's
whole free set (about 2,000 icons, 1.49 MB uncompressed), which turns each
``<i class="fa-solid fa-rocket">`` into an inline SVG.  The book shows about twenty of
them (the navigation bar, the launch, download and repository buttons, the theme switch).
When the build has finished, this extension reads every page and the theme's scripts for
the icon names they use, takes those icons' outlines out of the theme's own
``fontawesome.js`` (so the icons are exactly the theme's, of the same FontAwesome
version), and replaces the copy in the built site by a small script that draws only
them, the same way (an ``svg.svg-inline--fa`` in place of the ``<i>``, also for icons
added to the page later).  The pages keep loading the same address; nothing else
changes.
The theme's stylesheet also draws a few icons with FontAwesome's web fonts (admonition
titles, dropdown arrows: ``content: "<private-use character>"``), which made every page
load the fonts' 2,000 glyphs (275 kB).  The fonts in the built site are cut to the glyphs
that the site's stylesheets name literally (fontTools, WOFF2 through ``brotli``); the
``.fa-<name>:before`` rules of FontAwesome's own class list do not count, the script
above draws those icons.  ``tests/browser/test_reading.py`` checks the page weight and
``tests/test_page_weight.py`` the extraction.
"""
import json
import re
from pathlib import Path

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

#: the three packs of FontAwesome Free, as the bundle registers them: ``d("fab", p)``
PACKS = {"fab": "brands", "far": "regular", "fas": "solid"}
PREFIX_CLASSES = {"fab": "fab", "fa-brands": "fab", "far": "far", "fa-regular": "far",
                  "fas": "fas", "fa-solid": "fas", "fa": "fas"}
#: classes that are FontAwesome modifiers, not icon names
MODIFIERS = {"fa-fw", "fa-lg", "fa-xs", "fa-sm", "fa-xl", "fa-2x", "fa-3x", "fa-spin",
             "fa-pulse", "fa-border", "fa-inverse", "fa-li", "fa-ul", "fa-stack",
             "fa-stack-1x", "fa-stack-2x", "fa-flip", "fa-beat", "fa-fade", "fa-shake",
             "fa-bounce", "fa-rotate-90", "fa-rotate-180", "fa-rotate-270", "fa-layers",
             "fa-flip-horizontal", "fa-flip-vertical", "fa-pull-left", "fa-pull-right"}
ENTRY = re.compile(r'(?:"([^"]+)"|([A-Za-z0-9_$]+)):\[(\d+),(\d+),\[([^\]]*)\],"[^"]*","([^"]*)"\]')
PACK_START = "var p={"


def packs(bundle):
    """``{prefix: {name: (width, height, path)}}`` of FontAwesome's ``all.js`` bundle
    text; aliases (e.g. ``"trash-alt"`` for ``trash-can``) map to the same icon."""
    out = {}
    pos = 0
    while True:
        start = bundle.find(PACK_START, pos)
        if start < 0:
            break
        end = bundle.find("(function(){d(", start)
        m = re.match(r'\(function\(\)\{d\("(\w+)",p\)', bundle[end:end + 40]) if end > 0 else None
        if not m or m.group(1) not in PACKS:
            raise ValueError("fontawesome.js: unknown bundle layout (pack registration not found)")
        icons = out.setdefault(m.group(1), {})
        for e in ENTRY.finditer(bundle, start + len(PACK_START) - 1, end):
            name = e.group(1) or e.group(2)
            icon = (int(e.group(3)), int(e.group(4)), e.group(6))
            icons[name] = icon
            for alias in re.findall(r'"([^"]+)"', e.group(5)):
                icons.setdefault(alias, icon)
        pos = end + 1
    if set(out) != set(PACKS):
        raise ValueError(f"fontawesome.js: found packs {sorted(out)}, expected {sorted(PACKS)}")
    return out


def used_icons(texts, known):
    """``{(prefix, name)}`` of the icons that ``texts`` (HTML or JavaScript) ask for."""
    found = set()
    for text in texts:
        for cls in re.findall(r'class="([^"]*\bfa[a-z-]*\b[^"]*)"', text) + \
                re.findall(r'"((?:fa-solid|fa-regular|fa-brands|fas|far|fab) fa-[a-z0-9-]+)"', text):
            words = cls.split()
            prefix = next((PREFIX_CLASSES[w] for w in words if w in PREFIX_CLASSES), "fas")
            for w in words:
                name = w[3:]
                if w.startswith("fa-") and w not in MODIFIERS and w not in PREFIX_CLASSES:
                    if name in known.get(prefix, {}):
                        found.add((prefix, name))
                    elif name in known["fas"]:
                        found.add(("fas", name))
    return found


SCRIPT = """/* The book's icons: the few FontAwesome icons its pages use, drawn as FontAwesome
   draws them (an inline svg.svg-inline--fa in place of each <i class="fa-...">).
   Written by _ext/lean_icons.py from the theme's fontawesome.js; not edited by hand. */
(function () {
  "use strict";
  var ICONS = %s;
  var PREFIX = {"fab": "fab", "fa-brands": "fab", "far": "far", "fa-regular": "far"};
  var css = ".svg-inline--fa{display:inline-block;height:1em;overflow:visible;" +
    "vertical-align:-.125em;box-sizing:content-box}.svg-inline--fa.fa-fw{width:1.25em}" +
    ".svg-inline--fa.fa-lg{height:1.25em;vertical-align:-.2em}" +
    ".svg-inline--fa.fa-xl{height:1.5em;vertical-align:-.25em}";
  function draw(el) {
    var prefix = "fas", name = null;
    el.classList.forEach(function (c) {
      if (PREFIX[c]) { prefix = PREFIX[c]; }
    });
    el.classList.forEach(function (c) {
      if (!name && c.indexOf("fa-") === 0 && ICONS[prefix + " " + c.slice(3)]) { name = c.slice(3); }
    });
    if (!name) { return; }
    var icon = ICONS[prefix + " " + name];
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "svg-inline--fa " + el.getAttribute("class"));
    svg.setAttribute("viewBox", "0 0 " + icon[0] + " " + icon[1]);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("role", "img");
    if (el.getAttribute("style")) { svg.setAttribute("style", el.getAttribute("style")); }
    if (el.getAttribute("title")) { svg.setAttribute("aria-label", el.getAttribute("title")); }
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", icon[2]);
    svg.appendChild(path);
    el.parentNode.replaceChild(svg, el);
  }
  function drawAll(root) {
    if (!root.querySelectorAll) { return; }
    Array.prototype.forEach.call(root.querySelectorAll("i[class*='fa-'], span[class*='fa-']"), draw);
  }
  function start() {
    var style = document.createElement("style");
    style.textContent = css;
    document.head.appendChild(style);
    drawAll(document);
    new MutationObserver(function (records) {
      records.forEach(function (r) {
        Array.prototype.forEach.call(r.addedNodes, function (n) {
          if (n.nodeType === 1) {
            if (n.matches("i[class*='fa-'], span[class*='fa-']")) { draw(n); } else { drawAll(n); }
          }
        });
      });
    }).observe(document.body, {childList: true, subtree: true});
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
"""


def lean_script(bundle, texts):
    """The small replacement of ``fontawesome.js`` for pages and scripts ``texts``."""
    known = packs(bundle)
    icons = {f"{p} {n}": known[p][n] for p, n in sorted(used_icons(texts, known))}
    return SCRIPT % json.dumps(icons, separators=(",", ":")), icons


def replace_fontawesome(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    target = out / "_static" / "scripts" / "fontawesome.js"
    if not target.exists():
        return
    bundle = target.read_text(encoding="utf-8")
    if "svg-inline--fa" not in bundle or PACK_START not in bundle:
        return                                  # already replaced (incremental build)
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*.html")]
    texts += [p.read_text(encoding="utf-8", errors="replace")
              for p in (out / "_static").rglob("*.js") if p.name != "fontawesome.js"
              and "mathjax" not in p.parts]
    script, icons = lean_script(bundle, texts)
    target.write_text(script, encoding="utf-8")
    stale = target.with_name("fontawesome.js.map")
    if stale.exists():
        stale.unlink()
    LOGGER.info(f"lean_icons: fontawesome.js {len(bundle) / 1e6:.2f} MB -> "
                f"{len(script) / 1e3:.1f} kB ({len(icons)} icons)")


FONTS = ("fa-solid-900.woff2", "fa-regular-400.woff2", "fa-brands-400.woff2")
#: a rule of FontAwesome's class list, ``.fa-rocket:before{content:"\\f135"}``
FA_CLASS_RULE = re.compile(r'(?:\.fa-[a-z0-9-]+:{1,2}before\s*,?\s*)+\{\s*content:\s*"[^"]*"\s*;?\s*\}')


def css_glyphs(css_texts):
    """Private-use code points (FontAwesome's) that stylesheets use outside FontAwesome's
    own class list, written literally or as escapes."""
    found = set()
    for text in css_texts:
        text = FA_CLASS_RULE.sub("", text)
        found |= {ord(c) for c in text if 0xE000 <= ord(c) <= 0xF8FF}
        found |= {int(h, 16) for h in re.findall(r'\\(f[0-9a-f]{3})(?![0-9a-f])', text)}
    return found


def subset_fonts(outdir, codepoints):
    """Cut FontAwesome's web fonts in ``outdir`` to ``codepoints``; ``(before, after)`` bytes."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    before = after = 0
    for path in Path(outdir).rglob("fa-*.woff2"):
        if path.name not in FONTS:
            continue
        font = TTFont(str(path))
        before += path.stat().st_size
        keep = sorted(codepoints & set(font.getBestCmap()))
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = []
        options.notdef_outline = True
        sub = subset.Subsetter(options)
        sub.populate(unicodes=keep or [0x20])
        sub.subset(font)
        font.flavor = "woff2"
        font.save(str(path))
        after += path.stat().st_size
    return before, after


def cut_fonts(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    css = [p.read_text(encoding="utf-8", errors="replace") for p in (out / "_static").rglob("*.css")]
    before, after = subset_fonts(out, css_glyphs(css))
    if before:
        LOGGER.info(f"lean_icons: FontAwesome web fonts {before / 1e3:.0f} kB -> {after / 1e3:.0f} kB")


def setup(app):
    app.connect("build-finished", replace_fontawesome)
    app.connect("build-finished", cut_fonts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
