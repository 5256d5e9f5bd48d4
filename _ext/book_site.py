"""Sphinx extension for the book's web site: offline maths and Colab-ready notebooks.

* **MathJax without a CDN.**  MathJax 3 is copied into the site's ``_static/mathjax``
  from the PyPI package ``django-static-mathjax`` (a plain copy of MathJax 3.2.2, no
  Django needed), and ``mathjax_path`` in ``_config.yml`` points at it.  Formulas then
  render in an offline classroom, from a USB stick, and in the browser test.

* **Colab.**  Colab opens ``.ipynb`` files from GitHub but cannot open the book's MyST
  Markdown chapters.  Every notebook chapter is therefore exported as
  ``_colab/<page>.ipynb`` inside the built site, and the Colab launch button is pointed at
  that copy on the branch the site is published from (``gtp_colab_branch``, ``gh-pages``
  by default, which is what ``ghp-import -n -p -f _build/html`` publishes).  A copy runs
  where only its first cell's install is available (``colab_notebook``): that cell installs
  the ``gtp`` the book was built with (the repository at the built commit, or the
  ``gtp_requirement`` setting), the hidden build checks are left out, ``gtp.book.glue``
  does nothing without myst-nb, and the committed results ship inside the package
  (``gtp.results_root``).  ``tests/test_colab.py`` runs every copy in a clean environment.
  Binder opens the ``.md`` chapters as notebooks through jupytext (see ``binder/``).

* **Course paths for teachers.**  The ``course-path`` directive lists the chapters of
  some parts of the book with each chapter's **Time** and **You need** read from its
  "What you will learn" box, and the total time.  It is re-read at every build (the
  chapters may have changed), and a notebook chapter without that box is a build
  warning, so a strict build (``-W``) enforces the convention of ``book/first-look.md``.

* **Chapters executed in parallel.**  Jupyter Book 1 executes one notebook at a time while
  Sphinx reads the pages.  ``execute_chapters`` first runs every chapter that myst-nb would
  run, one per core (``gtp_execution_jobs``), into the same jupyter-cache, read, keyed and
  executed as myst-nb's cache mode does; the pages are then read from the cache.
  ``tests/test_parallel_execution.py`` checks that reading executes nothing, that the pages
  equal a serial build's and that a failing chapter is reported as before.

* **A site-wide ``/favicon.ico``** next to the pages' SVG icon.

* **No duplicate inline scripts** (a Sphinx 7.4 quirk that makes a JavaScript error on
  every page; see ``dedupe_inline_scripts``).

The chapter's own ``.ipynb`` download (with outputs) comes from sphinx-book-theme; it is
made portable in the same way as the Colab copy.
"""
import math
import os
import posixpath
import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath
from time import perf_counter

import nbformat
import yaml
from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

LOGGER = logging.getLogger(__name__)

# Parts of the MathJax 3 distribution the site needs: the combined TeX/MathML-to-HTML
# component, its fonts, the TeX extensions it autoloads and the accessibility menu.
MATHJAX_COMPONENT = "tex-mml-chtml.js"
MATHJAX_PARTS = (MATHJAX_COMPONENT, "input", "output/chtml", "output/chtml.js", "ui", "a11y",
                 "sre")

COLAB_SETUP = '''\
# Set-up for Colab and other fresh environments: install gtp {version}, the version of the
# book's library that this notebook was built with (nothing happens where it is installed).
import importlib.metadata, subprocess, sys
try:
    installed = importlib.metadata.version("gtp")
except importlib.metadata.PackageNotFoundError:
    installed = None
if installed != "{version}":
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{requirement}"], check=True)
    if installed is not None and "gtp" in sys.modules:
        print("gtp {version} is installed: restart the kernel (Colab: Runtime > Restart session)")
if "google.colab" in sys.modules:
    from google.colab import output
    output.enable_custom_widget_manager()   # lets the ipywidgets sliders run in Colab'''


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


def portable(nb, requirement, version):
    """``nb`` (a chapter as an nbformat notebook, with or without outputs) made to run
    where only its first cell's install is available: Colab, Binder, any plain Jupyter.

    A first code cell installs ``requirement`` (a pip requirement for ``gtp`` at
    ``version``) unless that version is installed.  Build-only machinery is left out: the
    ``remove-cell`` cells after the chapter's first code cell (the hidden checks that fail
    the build when a claim stops being true, and their glue) are dropped; the first code
    cell, the version check, is kept.  A hidden cell therefore must not define anything that
    a visible cell uses; ``tests/test_colab.py`` runs every copy and catches it.
    """
    if any("colab-setup" in c.metadata.get("tags", []) for c in nb.cells):
        return nb                           # already portable
    code = [k for k, c in enumerate(nb.cells) if c.cell_type == "code"]
    hidden = {k for k in code[1:] if "remove-cell" in nb.cells[k].metadata.get("tags", [])}
    nb.cells = [c for k, c in enumerate(nb.cells) if k not in hidden]
    cell = nbformat.v4.new_code_cell(COLAB_SETUP.format(requirement=requirement, version=version))
    cell.metadata["tags"] = ["colab-setup"]
    first_code = next((k for k, c in enumerate(nb.cells) if c.cell_type == "code"),
                      len(nb.cells))
    nb.cells.insert(first_code, cell)      # after the title, before the version check
    nb.metadata.pop("jupytext", None)       # a plain notebook, not paired with a .md
    return nb


def colab_notebook(md_path, requirement, version):
    """The chapter at ``md_path`` (MyST notebook) as a portable notebook (see ``portable``)."""
    import jupytext
    return portable(jupytext.read(md_path), requirement, version)


def built_commit(srcdir):
    """The git commit the book is built from, or ``None`` outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=srcdir, capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", sha) else None


def gtp_requirement(url, version, commit=None):
    """pip requirement for the ``gtp`` the book is built with: the repository at the built
    commit (exactly this code), or at the tag ``v<version>`` when the commit is unknown."""
    return f"gtp @ git+{url}@{commit or 'v' + version}"


def repository(config):
    """``(url, branch)`` of the book's repository from the theme options."""
    opts = config.html_theme_options
    return opts.get("repository_url", "").rstrip("/"), opts.get("repository_branch") or "main"


def colab_url(config, pagename):
    """Colab address of the exported notebook of ``pagename`` on the published branch."""
    url, _ = repository(config)
    colab = config.html_theme_options.get("launch_buttons", {}).get("colab_url", "").rstrip("/")
    org_repo = url.split("github.com/", 1)[-1]
    return f"{colab}/github/{org_repo}/blob/{config.gtp_colab_branch}/_colab/{pagename}.ipynb"


def _is_notebook_page(app, pagename):
    return "kernelspec" in app.env.metadata.get(pagename, {})


def export_colab(app, pagename, templatename, context, doctree):
    """html-page-context: write ``_colab/<page>.ipynb`` and point the Colab button at it."""
    if doctree is None or not _is_notebook_page(app, pagename):
        return
    from gtp import __version__
    url, _ = repository(app.config)
    requirement = app.config.gtp_requirement or gtp_requirement(url, __version__,
                                                                built_commit(app.srcdir))
    dest = Path(app.outdir) / "_colab" / f"{pagename}.ipynb"
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(colab_notebook(app.env.doc2path(pagename), requirement, __version__), dest)
    # The page's .ipynb download (the executed chapter, with outputs, which sphinx-book-theme
    # has just copied to _sources/) gets the same treatment: it runs anywhere too.
    download = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    if context.get("ipynb_source") and download.exists():
        nb = portable(nbformat.read(download, as_version=4), requirement, __version__)
        nbformat.write(nb, download)
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []):
            if button.get("text") == "Colab":
                button["url"] = colab_url(app.config, pagename)


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


# --- course paths -------------------------------------------------------------------

BOX = re.compile(r"\*\*You need:\*\*(?P<need>.*?)\*\*Time:\*\*(?P<time>[^\n]*)", re.S)


def toc_parts(srcdir):
    """``[(caption, [docname, ...]), ...]`` from ``_toc.yml`` (the root page excluded)."""
    toc = yaml.safe_load((Path(srcdir) / "_toc.yml").read_text())
    out = []
    for part in toc.get("parts", []):
        docs = []

        def walk(entries):
            for e in entries or []:
                if "file" in e:
                    docs.append(re.sub(r"\.(md|ipynb)$", "", e["file"]))
                walk(e.get("sections"))
        walk(part.get("chapters"))
        out.append((part.get("caption", ""), docs))
    return out


def minutes(text):
    """Minutes in a **Time:** text: "10 minutes", "1 hour", "1.5 h", "20-30 min" (the
    upper end of a range); ``None`` when no duration is found."""
    t = text.lower().replace("–", "-")
    total, found = 0.0, False
    for m in re.finditer(r"(\d+(?:\.\d+)?)(?:\s*(?:-|to)\s*(\d+(?:\.\d+)?))?\s*"
                         r"(hours?|hrs?|h\b|minutes?|mins?|min\b)", t):
        value = float(m.group(2) or m.group(1))
        total += value * (60 if m.group(3).startswith("h") else 1)
        found = True
    return round(total) if found else None


def rebase(markup, docname):
    """A chapter's **You need:** MyST text, made to work on another page: ``{doc}``
    roles and links to other chapters are rewritten with absolute document names
    (relative to the chapter ``docname``), so that they still resolve, with titles."""
    base = posixpath.dirname(docname)

    def absolute(target):
        target = re.sub(r"\.(md|ipynb)$", "", target.split("#", 1)[0].strip())
        return target if target.startswith("/") else "/" + posixpath.normpath(
            posixpath.join(base, target))

    def doc_role(m):
        title, target = m.group("title"), m.group("target")
        if target is None:
            return f"{{doc}}`{absolute(title)}`"
        return f"{{doc}}`{title.strip()} <{absolute(target)}>`"

    text = re.sub(r"\{doc\}`(?P<title>[^`<]*?)(?:\s*<(?P<target>[^>]*)>)?`", doc_role, markup)
    text = re.sub(r"\[([^\]]*)\]\((?![a-z]+:)([^)#]*\.(?:md|ipynb))(?:#[^)]*)?\)",
                  lambda m: f"{{doc}}`{m.group(1)} <{absolute(m.group(2))}>`", text)
    return " ".join(text.split()).rstrip(".")


def chapter_box(path, docname=""):
    """``(need, time text, minutes)`` of a chapter's "What you will learn" box, or ``None``.
    ``need`` is MyST text rebased for use on another page (see ``rebase``)."""
    m = BOX.search(Path(path).read_text())
    if not m:
        return None
    time = " ".join(m.group("time").split()).rstrip(":").strip()
    time = re.sub(r"\s*:{3,}.*$", "", time).rstrip(".")
    return rebase(m.group("need"), docname), time, minutes(time)


def is_notebook_source(path):
    head = Path(path).read_text().split("\n---", 1)[0]
    return "kernelspec:" in head


def fmt_minutes(m):
    h, mm = divmod(int(m), 60)
    return f"{h} h {mm:02d} min" if h else f"{mm} min"


class CoursePath(SphinxDirective):
    """Table of the chapters of the given parts (``:parts:`` captions, comma-separated,
    all parts when omitted), with time, prerequisites and the total time."""
    option_spec = {"parts": directives.unchanged}

    def run(self):
        env = self.env
        env.gtp_course_docs = getattr(env, "gtp_course_docs", set()) | {env.docname}
        wanted = [p.strip() for p in self.options.get("parts", "").split(",") if p.strip()]
        parts = toc_parts(env.srcdir)
        known = [c for c, _ in parts]
        missing = [w for w in wanted if w not in known]    # parts still being written
        rows, total, complete = [], 0, True
        for caption, docs in parts:
            if wanted and caption not in wanted:
                continue
            for doc in docs:
                path = env.doc2path(doc)
                if not Path(path).exists() or not is_notebook_source(path):
                    continue
                box = chapter_box(path, doc)
                if box is None:
                    LOGGER.warning(f"{doc}: no 'What you will learn' box with **You need:** and "
                                   f"**Time:** (see book/first-look.md)", location=path)
                    box, complete = ("", "not given", None), False
                need, time, mins = box
                if mins is None:
                    complete = False
                else:
                    total += mins
                rows.append((caption, doc, time, need))
        note = ([nodes.paragraph(text="Not in the book yet: the " + ", ".join(missing) +
                                 (" part." if len(missing) == 1 else " parts."))]
                if missing else [])
        if not rows:
            return note
        return [self.table(rows), self.summary(total, complete, len(rows))] + note

    def table(self, rows):
        table = nodes.table(classes=["course-path"])
        group = nodes.tgroup(cols=4)
        table += group
        for width in (14, 32, 14, 40):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self.row([nodes.Text(h) for h in ("Part", "Chapter", "Time", "You need")])
        body = nodes.tbody()
        group += body
        for caption, doc, time, need in rows:
            ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget="/" + doc,
                                        refexplicit=False, refwarn=True)
            ref += nodes.inline("", doc)
            need_node = nodes.inline()
            self.state.nested_parse(StringList([need or "-"]), self.content_offset, need_node)
            need_children = (need_node.children[0].children if len(need_node.children) == 1
                             and isinstance(need_node.children[0], nodes.paragraph)
                             else need_node.children)
            body += self.row([nodes.Text(caption), ref, nodes.Text(time), *[list(need_children)]])
        return table

    @staticmethod
    def row(cells):
        row = nodes.row()
        for c in cells:
            entry = nodes.entry()
            para = nodes.paragraph()
            para.extend(c if isinstance(c, list) else [c])
            entry += para
            row += entry
        return row

    @staticmethod
    def summary(total, complete, n):
        text = f"{n} chapters, about {fmt_minutes(total)} in all"
        if not complete:
            text += " (some chapters give no time)"
        return nodes.paragraph(text=text + ".")


def course_docs_outdated(app, env, added, changed, removed):
    """Pages with a course path are rebuilt every time: the chapters may have changed."""
    return sorted(d for d in getattr(env, "gtp_course_docs", set()) if d in env.found_docs)


def purge_course_doc(app, env, docname):
    getattr(env, "gtp_course_docs", set()).discard(docname)


def finish(app, exc):
    if exc is None and app.builder.format == "html":
        copy_mathjax(app.outdir)
        # Browsers ask for /favicon.ico on pages without an icon link (the root
        # redirect page); serve one instead of a 404.
        icon = Path(app.srcdir) / "_static" / "favicon.ico"
        if icon.exists():
            shutil.copy2(icon, Path(app.outdir) / "favicon.ico")


# --- chapters executed in parallel, into myst-nb's execution cache -----------------------

def _execute(nb, cwd, timeout, allow_errors):
    """Worker process: run ``nb`` exactly as myst-nb's cache mode does (jupyter-cache's
    ``single_nb_execution`` in folder ``cwd``, a temporary one when ``None``, notebook
    metadata overriding timeout and allow_errors).
    Returns ``(executed notebook, seconds, error class name or None, traceback text)``."""
    from contextlib import nullcontext
    from tempfile import TemporaryDirectory

    from jupyter_cache.executors.utils import single_nb_execution
    with (TemporaryDirectory() if cwd is None else nullcontext(cwd)) as folder:
        result = single_nb_execution(nb, cwd=os.path.abspath(folder), timeout=timeout,
                                     allow_errors=allow_errors, meta_override=True)
    error = None if result.err is None else type(result.err).__name__
    return result.nb, result.time, error, result.exc_string


def execution_jobs(config):
    """How many chapters run at once: ``gtp_execution_jobs``, or one per available core."""
    if config.gtp_execution_jobs:
        return int(config.gtp_execution_jobs)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                  # not on Linux
        return os.cpu_count() or 1


def uncached_chapter(env, docname, cache):
    """``(notebook, nb_config, read_fmt)`` of ``docname`` as myst-nb's parser reads it
    (``myst_nb.sphinx_.Parser.parse``: its reader, kernel alias and the notebook's own
    ``mystnb`` settings), when myst-nb's cache mode would execute it; else ``None`` (not a
    notebook, excluded from execution, or already in the cache)."""
    from myst_nb.core.nb_to_tokens import nb_node_to_dict
    from myst_nb.core.read import create_nb_reader
    path = Path(env.doc2path(docname))
    nb_config = env.mystnb_config
    if not path.is_file() or any(PurePosixPath(path.as_posix()).match(p)
                                 for p in nb_config.execution_excludepatterns):
        return None
    text = path.read_text(encoding=env.config.source_encoding)
    reader = create_nb_reader(str(path), env.myst_config, nb_config, text)
    if reader is None:
        return None
    notebook = reader.read(text)
    kernel = notebook.metadata.get("kernelspec", {}).get("name")
    if kernel is not None:
        for rgx, alias in (nb_config.kernel_rgx_aliases or {}).items():
            if re.fullmatch(rgx, kernel):
                notebook.metadata["kernelspec"]["name"] = alias
                break
    if nb_config.metadata_key in notebook.metadata:
        overrides = nb_node_to_dict(notebook.metadata[nb_config.metadata_key])
        overrides.pop("output_folder", None)
        try:
            nb_config = nb_config.copy(**overrides)
        except Exception:                   # myst-nb warns about it while reading
            return None
    try:
        cache.match_cache_notebook(notebook)
        return None                         # cached: myst-nb will not execute it
    except KeyError:
        return notebook, nb_config, reader.read_fmt


def execute_chapters(app, env, docnames):
    """env-before-read-docs: execute the chapters that myst-nb would execute while reading,
    several at a time, into the same jupyter-cache, so that reading finds them all cached.

    Jupyter Book 1 (myst-nb, ``execute_notebooks: cache``) runs one notebook at a time
    while Sphinx reads the pages.  Here every chapter that is not in the cache is read as
    myst-nb reads it (``uncached_chapter``), staged and run as myst-nb's
    ``NotebookClientCache`` does (cwd = the chapter's folder unless ``run_in_temp``, the
    book's ``timeout`` and ``allow_errors``, this process's environment, so ``GTP_TWINS=1``)
    in ``execution_jobs`` worker processes, and the executed notebook is cached under the
    same key.  A chapter that fails here is not cached: myst-nb runs it again while reading
    its page and reports the failure exactly as without this step (the chapter's name, the
    traceback; the build fails with ``allow_errors: false``).
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    nb_config = env.mystnb_config
    jobs = execution_jobs(app.config)
    if nb_config.execution_mode != "cache" or jobs < 2:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.cache.db import NbProjectRecord
    cache = get_cache(nb_config.execution_cache_path or ".jupyter_cache")
    todo = {}
    for docname in docnames:
        chapter = uncached_chapter(env, docname, cache)
        if chapter is not None:
            todo[docname] = chapter
    if len(todo) < 2:
        return                              # nothing to gain over myst-nb's own run
    # Longest first, from the durations of earlier versions still in the cache (a fresh
    # cache keeps Sphinx's order): no worker is left alone with a long chapter at the end.
    earlier = {}
    for rec in sorted(cache.list_cache_records(), key=lambda r: r.created):
        earlier[rec.uri] = (rec.data or {}).get("execution_seconds") or 0.0
    todo = dict(sorted(todo.items(), key=lambda item: -earlier.get(
        str(env.doc2path(item[0])), math.inf)))
    LOGGER.info(f"executing {len(todo)} chapters, {min(jobs, len(todo))} at a time")
    start, cpu = perf_counter(), _children_cpu()
    # spawn, not fork: this process holds Sphinx's state and possibly threads.
    with ProcessPoolExecutor(min(jobs, len(todo)), mp_context=get_context("spawn")) as pool:
        runs = {}
        for docname, (notebook, config, read_fmt) in todo.items():
            path = Path(env.doc2path(docname))
            record = cache.add_nb_to_project(str(path), **({"read_data": read_fmt}
                                                           if read_fmt else {}))
            NbProjectRecord.remove_tracebacks([record.pk], cache.db)
            cwd = None if config.execution_in_temp else str(path.parent)
            future = pool.submit(_execute, notebook, cwd, config.execution_timeout,
                                 config.execution_allow_errors)
            runs[future] = docname, record
        for future in as_completed(runs):
            docname, record = runs[future]
            try:
                nb, seconds, error, _ = future.result()
            except Exception as exc:          # e.g. the kernel died: myst-nb reports it
                nb, seconds, error = None, 0.0, f"{type(exc).__name__}: {exc}"
            if error is not None:
                LOGGER.info(f"{docname}: execution failed ({error}); it runs again while "
                            f"its page is read, which reports the error")
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, record.uri, data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True)
            LOGGER.info(f"{docname}: executed in {seconds:.1f} s")
    LOGGER.info(f"executed {len(todo)} chapters in {perf_counter() - start:.1f} s "
                f"({_children_cpu() - cpu:.1f} s of CPU)")


def _children_cpu():
    """CPU seconds (user + system) of this process's finished child processes."""
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def setup(app):
    # Kernels started by the build inherit this: chapters then draw the twins' frames.
    os.environ.setdefault("GTP_TWINS", "1")
    app.connect("html-page-context", drop_widget_state, priority=890)
    app.connect("build-finished", report_twins)
    # Chapters run several at a time before Sphinx reads them (one at a time otherwise).
    app.add_config_value("gtp_execution_jobs", 0, "")
    app.connect("env-before-read-docs", execute_chapters)
    app.add_config_value("gtp_colab_branch", "gh-pages", "html")
    # pip requirement the notebook copies install; by default the repository at the built commit
    app.add_config_value("gtp_requirement", "", "html")
    app.add_directive("course-path", CoursePath)
    app.connect("env-get-outdated", course_docs_outdated)
    app.connect("env-purge-doc", purge_course_doc)
    # After sphinx-book-theme's add_launch_buttons (priority 501) has made the buttons.
    app.connect("html-page-context", export_colab, priority=550)
    app.connect("html-page-context", dedupe_inline_scripts, priority=900)
    app.connect("build-finished", finish)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
