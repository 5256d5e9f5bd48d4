"""Sphinx extension for the book's web site (``local_extensions`` in ``_config.yml``).

This module serves offline maths and small fixes of the pages, and loads the book's other
extensions, one module per concern:

* ``notebook_editions`` (with ``myst_to_jupyter``): every chapter as a student and a
  teacher notebook edition in plain Jupyter Markdown, behind the Colab, Binder and download
  buttons;
* ``course_path``: reading times computed from the chapters, and the teachers' course-path
  tables;
* ``parallel_execution``: the chapters executed one per core before Sphinx reads them;
* ``citation``: the "Cite this book" box, from ``CITATION.cff``.

Here:

* **MathJax without a CDN.**  MathJax 3 is copied into the site's ``_static/mathjax``
  from the PyPI package ``django-static-mathjax`` (a plain copy of MathJax 3.2.2, no
  Django needed), and ``mathjax_path`` in ``_config.yml`` points at it.  Formulas then
  render in an offline classroom, from a USB stick, and in the browser test.
* **Exercises numbered per chapter** (``restart_exercise_numbers``).
* **A site-wide ``/favicon.ico``** next to the pages' SVG icon.
* **No duplicate inline scripts** (a Sphinx 7.4 quirk that makes a JavaScript error on
  every page; see ``dedupe_inline_scripts``).
* **Static twins of the panels**: the live widgets' saved state is dropped from the pages,
  and the size of every page with twins is reported.
"""
import os
import shutil
from pathlib import Path

import citation
import course_path
import notebook_editions
import parallel_execution
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

# Parts of the MathJax 3 distribution the site needs: the combined TeX/MathML-to-HTML
# component, its fonts, the TeX extensions it autoloads and the accessibility menu.
MATHJAX_COMPONENT = "tex-mml-chtml.js"
MATHJAX_PARTS = (MATHJAX_COMPONENT, "input", "output/chtml", "output/chtml.js", "ui", "a11y",
                 "sre")


def mathjax_source():
    """Folder of the MathJax 3 ``es5`` distribution shipped by django-static-mathjax."""
    import mathjax  # the django-static-mathjax package
    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def copy_mathjax(outdir):
    """Copy the parts of MathJax the pages load into ``outdir/_static/mathjax``."""
    src, dest = mathjax_source(), Path(outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        if (src / part).is_dir():
            shutil.copytree(src / part, dest / part, dirs_exist_ok=True)
        else:
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / part, dest / part)
    return dest


def dedupe_inline_scripts(app, pagename, templatename, context, doctree):
    """html-page-context: drop repeated inline ``<script>`` blocks.

    Sphinx 7.4 lists an inline script that an extension adds after the builder starts
    (sphinx-thebe's ``const THEBE_JS_URL = ...``, sphinx-togglebutton's selector) twice,
    once with filename ``None`` and once with ``''``; the second ``const`` is a
    JavaScript error on every page.  Scripts are kept in order, first copy only.
    """
    seen, kept = set(), []
    for js in context.get("script_files", []):
        attrs = getattr(js, "attributes", {})
        key = (getattr(js, "filename", js) or "", getattr(js, "priority", 0),
               tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    context["script_files"] = kept


def finish(app, exc):
    if exc is None and app.builder.format == "html":
        copy_mathjax(app.outdir)
        # Browsers ask for /favicon.ico on pages without an icon link (the root
        # redirect page); serve one instead of a 404.
        icon = Path(app.srcdir) / "_static" / "favicon.ico"
        if icon.exists():
            shutil.copy2(icon, Path(app.outdir) / "favicon.ico")


# --- static twins of the panels (gtp/twins.py) ------------------------------------------

def drop_widget_state(app, pagename, templatename, context, doctree):
    """html-page-context: the pages show the panels' static twins, so the live widgets'
    saved state (myst-nb's ``application/vnd.jupyter.widget-state+json`` script) is dead
    weight: drop it (``nb_ipywidgets_js: {}`` in _config.yml drops the CDN loaders)."""
    context["script_files"] = [
        js for js in context.get("script_files", [])
        if "widget-state" not in str(getattr(js, "attributes", {}).get("type", ""))]


def report_twins(app, exc):
    """build-finished: print the size of every page with twins; a budget overrun warns."""
    if exc is None and app.builder.format == "html":
        from gtp.book.twins import site_report
        lines, problems = site_report(app.outdir)
        for line in lines:
            LOGGER.info(line)
        for problem in problems:
            LOGGER.warning(f"twins: {problem}")


def restart_exercise_numbers(app, env):
    """env-get-updated, after Sphinx numbered the figures: exercises are numbered 1, 2, ...
    in each chapter (sphinx-exercise numbers them through the whole book), as the notebook
    editions number them.  Returns the pages whose numbers changed."""
    changed = []
    for doc, kinds in env.toc_fignumbers.items():
        numbers = kinds.get("exercise")
        if not numbers:
            continue
        order = sorted(numbers, key=lambda k: numbers[k])
        fresh = {k: (n,) for n, k in enumerate(order, 1)}
        if fresh != numbers:
            kinds["exercise"] = fresh
            changed.append(doc)
    return changed


def setup(app):
    # Kernels started by the build inherit this: chapters then draw the twins' frames.
    os.environ.setdefault("GTP_TWINS", "1")
    app.connect("html-page-context", drop_widget_state, priority=890)
    app.connect("build-finished", report_twins)
    for module in (parallel_execution, course_path, notebook_editions, citation):
        module.setup(app)
    app.connect("env-get-updated", restart_exercise_numbers, priority=900)
    app.connect("html-page-context", dedupe_inline_scripts, priority=900)
    app.connect("build-finished", finish)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
