"""What a reader sees at a given screen width: helpers of ``test_reading.py``.

``reading_problems`` looks at the page open in the browser, at its present window size,
and names every display equation, code block, output or table whose content is cut off:
content that sticks out of a box that hides the overflow, or out of the screen, and that
no scrolling box lets the reader bring into view (a box that scrolls must reach both
ends of its content).  It also names visible build plumbing (``glue(...)``, ``put(...)``,
``assert``), twin controls that do not show the values they offer, and reports the page
weight: every byte the browser loaded for the page, uncompressed (the HTML and all it
fetched: scripts, styles, fonts, images, twin frames).
"""
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: as gtp.book.figure_style: the PNG chunk of a figure's smallest text (image pixels), and
#: the small print on a phone the figures are laid out for
TEXT_KEY = "gtp:text-px"
PHONE_TEXT_PX = 12.5

#: page weight budgets in bytes (uncompressed, every asset the page loads)
BUDGET_PLAIN = 2_500_000
BUDGET_TWIN = 4_500_000
WIDTHS = (1280, 390)
PHONE = WIDTHS[1]
#: lines of visible code that are build plumbing, not code a reader should read or run
PLUMBING = re.compile(r"^[ \t]*(?:(?:gtp\.)?(?:book\.)?(?:glue|put)\(|assert\b).*$", re.M)

# Runs in the page: waits for images and MathJax, then measures.
MEASURE = r"""
const done = arguments[arguments.length - 1];
(async () => {
  document.querySelectorAll('img[loading="lazy"]').forEach(i => { i.loading = 'eager'; });
  await Promise.all([...document.images].map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  const started = () => window.MathJax && MathJax.startup && MathJax.startup.promise;
  const t0 = Date.now();
  while (document.querySelector('.math') && !started() && Date.now() - t0 < 20000) {
    await new Promise(r => setTimeout(r, 100));
  }
  if (started()) { await MathJax.startup.promise; }
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const vw = document.documentElement.clientWidth;
  const root = document.querySelector('.bd-article') || document.querySelector('main') || document.body;
  const found = [];
  const label = el => {
    const eq = el.closest('div.math');
    if (eq) {
      const no = eq.querySelector('.eqno');
      return (eq.id || 'equation') + (no ? ' ' + no.textContent.trim() : '');
    }
    return (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 50);
  };

  // The part of `el`'s content a reader can bring into view by scrolling; null if all can.
  function cutOff(el, what) {
    const range = document.createRange();
    range.selectNodeContents(el);
    const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
    if (!rects.length) { return null; }
    let left = Math.min(...rects.map(r => r.left)), right = Math.max(...rects.map(r => r.right));
    const width = right - left;
    for (let a = el; a && a !== document.documentElement; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible') { continue; }
      const ar = a.getBoundingClientRect();
      const bl = ar.left + a.clientLeft, br = bl + a.clientWidth;
      if (left >= bl - 1 && right <= br + 1) { continue; }
      if (/(auto|scroll)/.test(s.overflowX)) {
        const start = bl - a.scrollLeft, end = start + a.scrollWidth;
        if (left < start - 1) { return `${what} cut off on the left by ${Math.round(start - left)} px, and its scroll box cannot reach it`; }
        if (right > end + 1) { return `${what} cut off on the right by ${Math.round(right - end)} px, beyond its scroll box`; }
        left = Math.max(left, bl); right = Math.min(right, br);   // the part in view
        continue;
      }
      return `${what} cut off by ${Math.round(Math.max(bl - left, 0) + Math.max(right - br, 0))} px ` +
             `of ${Math.round(width)} (${a.tagName.toLowerCase()}.${[...a.classList].join('.')} ` +
             `hides its overflow, nothing scrolls)`;
    }
    if (left < -1 || right > vw + 1) {
      return `${what} sticks out of the ${vw}-px screen by ${Math.round(Math.max(-left, 0) + Math.max(right - vw, 0))} px`;
    }
    return null;
  }

  const check = (selector, what) => root.querySelectorAll(selector).forEach(el => {
    if (!el.getClientRects().length) { return; }            // not displayed (e.g. closed dropdown)
    const p = cutOff(el, what);
    if (p) { found.push(`${p}: "${label(el)}"`); }
  });
  check('div.math mjx-math, mjx-container[display="true"] > mjx-math', 'display equation');
  check('.cell_input pre, div.highlight pre', 'code');
  check('.cell_output pre', 'output');
  check('table', 'table');
  // a twin's frame box scrolls sideways on a phone: the panel's other parts must fit
  check('.gtp-twin > :not(.gtp-twin-scroll):not(script)', 'twin panel');
  check('.gtp-twin-scroll', 'twin frame');
  check('.gtp-twin select, .gtp-twin input', 'twin control');
  if (document.documentElement.scrollWidth > vw + 1) {
    found.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide on a ${vw}-px screen`);
  }
  const code = [...root.querySelectorAll('.cell_input pre')].map(p => p.textContent);
  // Twin controls: every slider shows the values it offers, all of them, visibly.
  const twins = [...document.querySelectorAll('.gtp-twin')].map(t => {
    const script = t.querySelector('script.gtp-twin-data');
    const data = script ? JSON.parse(script.textContent) : {controls: []};
    return data.controls.map(c => {
      const input = t.querySelector('[data-control="' + c.name + '"]');
      if (!input || input.tagName === 'SELECT') { return null; }
      const list = t.querySelector('[data-values-for="' + input.id + '"]');
      const box = list ? list.getBoundingClientRect() : null;
      return {twin: t.id, control: c.name, texts: c.texts,
              shown: list && box.width > 0 && box.height > 0 && getComputedStyle(list).visibility !== 'hidden'
                     ? [...list.querySelectorAll('[data-value]')].filter(v => v.getBoundingClientRect().width > 0)
                          .map(v => v.textContent.trim()) : []};
    }).filter(x => x);
  }).flat();
  // The page's small print: the smallest font of its visible text (maths aside).
  let small = Infinity;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || el.closest('mjx-container, script, style')) { continue; }
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) { small = Math.min(small, parseFloat(getComputedStyle(el).fontSize)); }
  }
  // Figures and twin frames as shown: their width on the screen and in pixels; a twin
  // says how small its frames' text is, a figure's PNG does (read by the test).
  const figures = [...root.querySelectorAll('.cell_output img, img.gtp-twin-frame')]
    .filter(i => i.getBoundingClientRect().width > 0).map(i => {
      const box = i.closest('.gtp-twin-scroll');
      return {src: i.currentSrc || i.src, shown: i.getBoundingClientRect().width, natural: i.naturalWidth,
              text_px: box && box.dataset.textPx ? parseFloat(box.dataset.textPx) : null,
              label: (i.alt || i.src.split('/').pop()).replace(/\s+/g, ' ').slice(0, 60)};
    });
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource').map(e => [e.name, e.decodedBodySize]);
  done({vw: vw, problems: found, code: code, twins: twins, twin_count: document.querySelectorAll('.gtp-twin').length,
        small_print: small, figures: figures,
        html: nav ? nav.decodedBodySize : 0, resources: resources});
})().catch(e => done({error: String(e) + '\n' + e.stack}));
"""


# Runs in the page: every visible text whose colour contrasts with the background behind
# it by less than `min` (WCAG's contrast ratio; 4.5 for text), with the two colours.
CONTRAST = r"""
const min = arguments[0];
const root = document.querySelector('.bd-article') || document.querySelector('main') || document.body;
const rgba = s => { const m = s.match(/[\d.]+/g) || [0, 0, 0, 0];
                    return m.length >= 3 ? m.slice(0, 4).map(Number).concat(m.length === 3 ? [1] : []) : [0, 0, 0, 0]; };
const lum = c => { const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                   return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
const over = (top, below) => { const a = top[3];
                               return [0, 1, 2].map(i => top[i] * a + below[i] * (1 - a)).concat([1]); };
function background(el) {           // the colour behind `el`: its own and its ancestors' backgrounds
  const layers = [];
  for (let a = el; a; a = a.parentElement) {
    const c = rgba(getComputedStyle(a).backgroundColor);
    if (c[3] > 0) { layers.push(c); if (c[3] >= 1) { break; } }
  }
  let c = [255, 255, 255, 1];
  for (const l of layers.reverse()) { c = over(l, c); }
  return c;
}
const found = [], seen = new Set();
const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const el = walker.currentNode.parentElement;
  if (!walker.currentNode.textContent.trim() || seen.has(el)) { continue; }
  seen.add(el);
  const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  if (!r.width || !r.height || s.visibility === 'hidden' || el.closest('script, style, [aria-hidden="true"]')) { continue; }
  const bg = background(el), fg = over(rgba(s.color), bg);
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  const ratio = (hi + 0.05) / (lo + 0.05);
  if (ratio < min) {
    found.push({ratio: Math.round(ratio * 100) / 100, color: s.color, background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(', ') + ')',
                where: el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''),
                text: walker.currentNode.textContent.replace(/\s+/g, ' ').trim().slice(0, 40)});
  }
}
return found;
"""


def contrast_problems(driver, minimum=4.5):
    """Texts of the open page that contrast with their background by less than ``minimum``
    (WCAG's ratio: 4.5 for body text), one line per distinct (where, colours)."""
    problems = {}
    for f in driver.execute_script(CONTRAST, minimum):
        key = (f["where"], f["color"], f["background"])
        problems.setdefault(key, f"contrast {f['ratio']}:1 < {minimum}:1, {f['color']} on "
                                 f"{f['background']} ({f['where']}): \"{f['text']}\"")
    return list(problems.values())


def measure(driver):
    """Measurements of the page open in ``driver`` at its present window size."""
    report = driver.execute_async_script(MEASURE)
    if "error" in report:
        raise RuntimeError(f"measuring the page failed: {report['error']}")
    return report


def plumbing_lines(code_blocks):
    """Visible lines of build plumbing in the page's code cells."""
    return [m.group(0).strip() for block in code_blocks for m in PLUMBING.finditer(block)]


def figure_text_px(figure, root):
    """The smallest text of a figure as it is shown (CSS px): its size in the image's pixels
    (the twin's ``data-text-px``, or the ``gtp:text-px`` chunk of the PNG under ``root``)
    times the shown width over the image's width; ``None`` when the image does not say."""
    px = figure["text_px"]
    if px is None:
        from PIL import Image
        path = Path(root) / unquote(urlsplit(figure["src"]).path).lstrip("/")
        if path.suffix != ".png" or not path.exists():
            return None
        with Image.open(path) as im:
            value = im.text.get(TEXT_KEY)
        px = float(value) if value else None
    return None if px is None else px * figure["shown"] / figure["natural"]


def figure_text_problems(report, root, floor=PHONE_TEXT_PX):
    """Figures and twin frames whose smallest text is shown smaller than the page's small
    print (at most ``floor`` px), or that do not say how small their text is."""
    small = min(report["small_print"], floor)
    problems = []
    for f in report["figures"]:
        px = figure_text_px(f, root)
        if px is None:
            problems.append(f"figure without its text size ({TEXT_KEY}): {f['label']}")
        elif px < small - 0.05:
            problems.append(f"figure text shown at {px:.1f} px, under the page's small print "
                            f"({small:.1f} px), {f['shown']:.0f} px wide: {f['label']}")
    return problems


def twin_value_problems(twins):
    problems = []
    for t in twins:
        missing = [x for x in t["texts"] if x not in t["shown"]]
        if missing:
            problems.append(f"{t['twin']} control {t['control']!r}: values not shown on the page: "
                            f"{missing[:6]}{' ...' if len(missing) > 6 else ''}")
    return problems


def weight(report):
    """``(bytes, largest resources)`` of the page: HTML plus every resource it loaded."""
    sizes = {}
    for name, size in report["resources"]:
        sizes[name] = max(size, sizes.get(name, 0))
    total = report["html"] + sum(sizes.values())
    top = sorted(sizes.items(), key=lambda kv: -kv[1])[:5]
    return total, top


def budget(report):
    return BUDGET_TWIN if report["twin_count"] else BUDGET_PLAIN


def weight_problem(report):
    total, top = weight(report)
    limit = budget(report)
    if total <= limit:
        return None
    heavy = ", ".join(f"{name.rsplit('/', 1)[-1][:40]} {size / 1e6:.2f} MB" for name, size in top)
    return (f"page weight {total / 1e6:.2f} MB > {limit / 1e6:.1f} MB "
            f"({'with' if report['twin_count'] else 'no'} twins); largest: {heavy}")


def load(driver, url):
    """Open ``url`` with the browser's cache off: every byte of the page is counted, even
    what an earlier page of the session shared with it (scripts, styles, fonts)."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    try:
        driver.get(url)
    finally:
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})


def set_width(driver, width, height=900):
    """Resize the window so that the page's viewport is ``width`` px wide."""
    driver.set_window_size(width, height)
    for _ in range(3):              # the window's frame: a few px besides the viewport
        inner = driver.execute_script("return window.innerWidth")
        if inner == width:
            break
        # (after a full-page screenshot chromium may briefly report another width: only
        # small corrections are frames)
        driver.set_window_size(width + (width - inner) if abs(width - inner) < 100 else width, height)


def set_dark(driver, dark):
    driver.execute_script(
        "const m = arguments[0] ? 'dark' : 'light';"
        "localStorage.setItem('mode', m); localStorage.setItem('theme', m);"
        "document.documentElement.dataset.mode = m; document.documentElement.dataset.theme = m;",
        dark)


def screenshot(driver, path, full=True, max_height=20000):
    """PNG of the page (the whole page when ``full``, up to ``max_height`` px).  The whole
    page is photographed through a viewport as tall as the page (device metrics), not
    ``captureBeyondViewport``, which laid some pages out shifted sideways."""
    import base64
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    view = metrics.get("cssLayoutViewport", metrics["layoutViewport"])
    width = view["clientWidth"]
    height = min(int(size["height"]), max_height) if full else view["clientHeight"]
    if full:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    try:
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    finally:
        if full:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
