"""The panels' static twins in a real browser (gtp/book/twins.py, _static/twin.js).

Every page of the built book that holds a twin is opened in headless chromium; each control
of each twin is moved by the keyboard (arrow keys) and by setting its value.  After every
move the frame must change, the readout and the frame's alt text must name the values the
controls show and the same key number, no request may leave the site, and the console must
stay free of errors.
"""
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import helpers  # noqa: E402

PAGES = [p for p in helpers.pages() if 'class="gtp-twin"' in
         (helpers.HTML / p).read_text(encoding="utf-8", errors="replace")] \
    if helpers.HTML.exists() else []

# The state of one twin: frame, alt, readout and what every control shows.
STATE = r"""
const root = document.getElementById(arguments[0]);
const controls = [...root.querySelectorAll('[data-control]')].map(c => ({
  id: c.id, kind: c.tagName === 'SELECT' ? 'select' : 'range', value: c.value,
  max: c.tagName === 'SELECT' ? c.options.length - 1 : parseInt(c.max, 10),
  label: root.querySelector('label[for="' + c.id + '"]').textContent,
  text: c.tagName === 'SELECT' ? c.options[c.selectedIndex].textContent
                               : root.querySelector('output[for="' + c.id + '"]').textContent,
  valuetext: c.getAttribute('aria-valuetext')}));
const img = root.querySelector('img.gtp-twin-frame');
return {ready: root.dataset.twinReady === '1', src: img.src, alt: img.alt, complete: img.complete,
        width: img.naturalWidth, readout: root.querySelector('.gtp-twin-readout').textContent,
        controls: controls};
"""
SET_VALUE = r"""
const c = document.getElementById(arguments[0]);
c.value = String(arguments[1]);
c.dispatchEvent(new Event(c.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true}));
"""
RESOURCES = "return performance.getEntriesByType('resource').map(e => e.name);"


def state(driver, twin_id):
    return driver.execute_script(STATE, twin_id)


def agreement(s):
    """Problems between the controls, the readout and the alt text of one state."""
    desc = ", ".join(f"{c['label']} = {c['text']}" for c in s["controls"])
    problems = []
    if not s["readout"].startswith(desc + ": "):
        problems.append(f"readout {s['readout']!r} does not start with the controls' {desc!r}")
        return problems
    key = s["readout"][len(desc) + 2:]
    if not s["alt"].endswith(f"{desc}; {key}."):
        problems.append(f"alt text {s['alt']!r} does not name {desc!r} and the key {key!r}")
    for c in s["controls"]:
        if c["kind"] == "range" and c["valuetext"] != c["text"]:
            problems.append(f"{c['id']}: aria-valuetext {c['valuetext']!r} != {c['text']!r}")
    return problems


#: every twin of the book, by page: each is opened and driven by the test below
TWINS = {"book/theory/target-convergence.html": {"twin-target-convergence", "twin-stability-grid"},
         "book/theory/backprop-hebbian.html": {"twin-cosine"},
         "book/initialisation/init-in-practice.html": {"twin-initialisation"},
         "book/training/sensitivity.html": {"twin-sensitivity", "twin-sensitivity-per-layer"},
         "book/training/train-yourself.html": {"twin-training", "twin-training-grid"},
         "book/relatives/angles.html": {"twin-relatives"}}


def test_found_pages_with_twins():
    if not helpers.HTML.exists():
        pytest.skip("the book is not built (make book)")
    built = {p for p in TWINS if (helpers.HTML / p).exists()}
    assert built <= set(PAGES), f"built chapters without a twin: {sorted(built - set(PAGES))}"
    for page in built:
        text = (helpers.HTML / page).read_text(encoding="utf-8", errors="replace")
        found = set(re.findall(r'<div class="gtp-twin" id="([a-z0-9-]+)"', text))
        assert found == TWINS[page], f"{page}: twins {sorted(found)}, expected {sorted(TWINS[page])}"


@pytest.mark.parametrize("page", PAGES or [pytest.param(None, marks=pytest.mark.skip(
    "the book is not built, or has no twins"))])
def test_twins_work_without_a_kernel(browser, page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    site = helpers.Site()
    try:
        browser.get_log("browser")
        browser.get(site.url(page))
        ids = browser.execute_script(
            "return [...document.querySelectorAll('.gtp-twin')].map(t => t.id);")
        assert ids, f"{page}: no twin found in the page"
        problems = []
        moves = 0
        for twin_id in ids:
            s = state(browser, twin_id)
            assert s["ready"], f"{page} {twin_id}: twin.js did not set the twin up"
            problems += [f"{twin_id} (initial): {p}" for p in agreement(s)]
            for c in s["controls"]:
                # keyboard: one arrow step up (or down at the end of the range)
                before = state(browser, twin_id)
                cur = next(x for x in before["controls"] if x["id"] == c["id"])
                at_end = int(cur["value"]) >= cur["max"]
                elem = browser.find_element(By.ID, c["id"])
                elem.send_keys(Keys.ARROW_LEFT if at_end and c["kind"] == "range" else
                               Keys.ARROW_UP if at_end else
                               Keys.ARROW_RIGHT if c["kind"] == "range" else Keys.ARROW_DOWN)
                after = state(browser, twin_id)
                moved = next(x for x in after["controls"] if x["id"] == c["id"])
                moves += 1
                if moved["value"] == cur["value"]:
                    problems.append(f"{twin_id} {c['id']}: the arrow key did not move it")
                elif after["src"] == before["src"]:
                    problems.append(f"{twin_id} {c['id']}: the frame did not change (keyboard)")
                problems += [f"{twin_id} {c['id']} (keyboard): {p}" for p in agreement(after)]
                # setting the value: to the other end of its range
                target = 0 if int(moved["value"]) > 0 else moved["max"]
                browser.execute_script(SET_VALUE, c["id"], target)
                final = state(browser, twin_id)
                moves += 1
                if final["src"] == after["src"]:
                    problems.append(f"{twin_id} {c['id']}: the frame did not change (value)")
                if not (final["complete"] and final["width"] > 0):
                    problems.append(f"{twin_id} {c['id']}: the frame did not decode")
                problems += [f"{twin_id} {c['id']} (value): {p}" for p in agreement(final)]
        outside = [u for u in browser.execute_script(RESOURCES)
                   if not u.startswith(("data:", "blob:")) and not site.is_internal(u)]
        problems += [f"request leaving the site: {u}" for u in outside]
        errors = [e["message"] for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
        problems += [f"console error: {e}" for e in errors]
        assert moves >= 2 * len(ids)
        assert not problems, f"{page}:\n" + "\n".join(problems)
    finally:
        site.close()
