"""The chapters as plain notebooks: a student and a teacher edition of each, from the build.

Colab, plain JupyterLab and VS Code read ``.ipynb`` notebooks with CommonMark Markdown, not
the book's MyST chapters.  For every notebook chapter the build writes

* ``_colab/<page>.ipynb``: the **student edition**, with the build's outputs and without
  the solutions.  The Colab button opens it (from the branch the site is published to,
  ``gtp_colab_branch``), the Binder button opens it through nbgitpuller, and the page's
  ``.ipynb`` download (``_sources/<page>.ipynb``) is the same file;
* ``_teacher/<page>.ipynb``: the **teacher edition**, the same with the solutions.

Both run where only their first cell's install is available (``portable``): that cell
installs the ``gtp`` the book was built with, the hidden build checks are left out,
``gtp.book.glue`` does nothing without myst-nb, and the committed results ship inside the
package.  Their Markdown is plain (``myst_to_jupyter``): directives converted, references
and citations linked to the web site (``gtp_site_url``), glue placeholders replaced by the
values this build computed.  ``tests/test_colab.py`` runs every edition in a clean
environment and checks that no MyST syntax is left.
"""
import copy
import posixpath
import re
import subprocess
from pathlib import Path
from urllib.parse import quote, urlencode

import myst_to_jupyter as mj
import nbformat
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
FOLDERS = {"student": "_colab", "teacher": "_teacher"}
WIDGET = "application/vnd.jupyter.widget-view+json"

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
    """The chapter at ``md_path`` (MyST notebook) as a portable notebook (see ``portable``),
    still in MyST Markdown and without outputs; ``edition`` makes the editions from it."""
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


def site_url(config):
    """Address of the published web site, ending in ``/``: ``gtp_site_url``, else
    ``html_baseurl``, else the GitHub Pages address of the repository."""
    url = config.gtp_site_url or config.html_baseurl
    if not url:
        m = re.match(r"https://github\.com/([^/]+)/([^/]+)", repository(config)[0])
        if not m:
            raise ValueError("set gtp_site_url (sphinx: config: in _config.yml): the web "
                             "address the notebook editions link to")
        url = f"https://{m.group(1).lower()}.github.io/{m.group(2)}/"
    return url.rstrip("/") + "/"


def colab_url(config, pagename, edition="student"):
    """Colab address of an edition of ``pagename`` on the published branch."""
    url, _ = repository(config)
    colab = config.html_theme_options.get("launch_buttons", {}).get("colab_url", "").rstrip("/")
    org_repo = url.split("github.com/", 1)[-1]
    return (f"{colab}/github/{org_repo}/blob/{config.gtp_colab_branch}/"
            f"{FOLDERS[edition]}/{pagename}.ipynb")


def gitpuller_url(hub, config, pagename, edition="student", binder=False):
    """nbgitpuller link that copies the published site (``gtp_colab_branch``) into the
    user's home on a JupyterHub (``hub``) or on Binder, and opens an edition of a page."""
    repo, branch = repository(config)
    target = "gtp-book"
    params = urlencode({"repo": repo, "branch": config.gtp_colab_branch,
                        "targetpath": target,
                        "urlpath": f"lab/tree/{target}/{FOLDERS[edition]}/{pagename}.ipynb"})
    if binder:
        org_repo = repo.split("github.com/", 1)[-1]
        return f"{hub.rstrip('/')}/v2/gh/{org_repo}/{branch}?urlpath={quote('git-pull?' + params)}"
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{params}"


class SphinxLinks(mj.Links):
    """References of page ``docname`` resolved by Sphinx's environment, as web addresses."""

    def __init__(self, app, docname):
        self.env, self.docname, self.site = app.env, docname, site_url(app.config)
        self.std = app.env.get_domain("std")
        self._bib = None
        self.bibfiles = [Path(app.srcdir) / f for f in getattr(app.config, "bibtex_bibfiles", None) or []]

    def _page(self, doc, anchor=""):
        return self.site + doc + ".html" + (f"#{anchor}" if anchor else "")

    def doc(self, target):
        target = re.sub(r"\.(md|ipynb)$", "", target.strip())
        doc = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(posixpath.dirname(self.docname), target))
        if doc not in self.env.titles:
            raise ValueError(f"{self.docname}: {{doc}} to {target!r}, which is not a page")
        return self.env.titles[doc].astext(), self._page(doc)

    def term(self, name):
        hit = self.std.objects.get(("term", name)) or self.std.objects.get(("term", name.lower()))
        if hit is None:
            raise ValueError(f"{self.docname}: {{term}} {name!r} is not in the glossary")
        return name, self._page(hit[0], hit[1])

    def ref(self, label, numbered=False):
        if label not in self.std.labels and label not in self.std.anonlabels:
            raise ValueError(f"{self.docname}: reference to an unknown label {label!r}")
        doc, anchor = self.std.anonlabels[label]
        text = self.std.labels.get(label, (None, None, label))[2] or label
        if numbered:
            for kind, numbers in self.env.toc_fignumbers.get(doc, {}).items():
                if anchor in numbers:
                    fmt = self.env.config.numfig_format.get(kind, kind + " %s")
                    text = fmt % ".".join(map(str, numbers[anchor]))
                    break
        return text, self._page(doc, anchor)

    def reading_time(self):
        import course_path
        return course_path.fmt_minutes(course_path.chapter_minutes(self.env, self.docname))

    def cite(self, key):
        if self._bib is None:
            from pybtex.database import parse_file
            self._bib = {}
            for f in self.bibfiles:
                self._bib.update(parse_file(str(f)).entries)
        entry = self._bib.get(key)
        if entry is None:
            raise ValueError(f"{self.docname}: citation {key!r} is not in the .bib files")
        names = [p.last_names[0].strip("{}") for p in entry.persons.get("author", [])] or ["?"]
        who = (names[0] if len(names) == 1 else f"{names[0]} and {names[1]}"
               if len(names) == 2 else f"{names[0]} et al.")
        page = next((d for d in self.env.found_docs if d.endswith("bibliography")), None)
        url = self._page(page) if page else self.site
        return f"{who} {entry.fields.get('year', '')}".strip(), url


def executed(app, docname):
    """The chapter ``docname`` as myst-nb executed it (outputs merged from jupyter-cache),
    or the unexecuted chapter when it is not in the cache."""
    import jupytext
    from jupyter_cache import get_cache
    nb = jupytext.read(app.env.doc2path(docname))
    # myst-nb's default cache folder when the book names none (Jupyter Book does)
    path = app.env.mystnb_config.execution_cache_path or Path(app.outdir).parent / ".jupyter_cache"
    try:
        return get_cache(path).merge_match_into_notebook(nb)[1]
    except KeyError:
        return nb


def edition(nb, app, docname, which, requirement, version):
    """Edition ``which`` ("student" or "teacher") of the executed chapter ``nb``."""
    glue = mj.glue_values(nb)
    out = mj.convert(portable(copy.deepcopy(nb), requirement, version),
                     SphinxLinks(app, docname), glue, which, where=docname)
    out.metadata.pop("widgets", None)       # the live widgets' state: no kernel behind it
    for cell in out.cells:                  # a panel's output is dead without its kernel:
        if cell.cell_type == "code":        # the reader runs the cell to get the live panel
            cell.outputs = [frozen(o) for o in cell.get("outputs", [])
                            if WIDGET not in o.get("data", {})]
    return out


TWIN_IMG = re.compile(r'<img class="gtp-twin-frame" src="(?P<src>[^"]+)" alt="(?P<alt>[^"]*)">')


def frozen(output):
    """A panel's static twin (its frames and the site's script) as its first frame only:
    without the web site's script the other frames are dead weight in a notebook."""
    html = output.get("data", {}).get("text/html", "")
    if "gtp-twin-data" not in html:
        return output
    frame = TWIN_IMG.search(html)
    output = copy.deepcopy(output)
    output["data"] = {"text/html": (f'<img src="{frame["src"]}" alt="{frame["alt"]}">' if frame
                                    else ""), "text/plain": "(run the cell for the live panel)"}
    return output


def write(nb, dest):
    """Write ``nb`` to ``dest`` atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    nbformat.write(nb, tmp)
    tmp.replace(dest)


def export_editions(app, pagename, templatename, context, doctree):
    """html-page-context: write both editions of a notebook page, make the page's download
    the student edition, and point the Colab and Binder buttons at it."""
    if doctree is None or "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    try:
        site_url(app.config)
    except ValueError as exc:               # a book without a web address: no editions
        if not getattr(app, "gtp_no_site_told", False):
            LOGGER.info(f"notebook editions skipped: {exc}")
            app.gtp_no_site_told = True
        return
    from gtp import __version__
    url, _ = repository(app.config)
    requirement = app.config.gtp_requirement or gtp_requirement(url, __version__,
                                                                built_commit(app.srcdir))
    nb = executed(app, pagename)
    out = Path(app.outdir)
    for which, folder in FOLDERS.items():
        try:
            ed = edition(nb, app, pagename, which, requirement, __version__)
        except ValueError as exc:
            LOGGER.warning(f"{which} edition: {exc}", location=pagename)
            continue
        write(ed, out / folder / f"{pagename}.ipynb")
        if which == "student" and context.get("ipynb_source"):
            write(ed, out / "_sources" / f"{pagename}.ipynb")
    binder = app.config.html_theme_options.get("launch_buttons", {}).get("binderhub_url", "")
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []):
            if button.get("text") == "Colab":
                button["url"] = colab_url(app.config, pagename)
            elif button.get("text") == "Binder" and binder:
                button["url"] = gitpuller_url(binder, app.config, pagename, binder=True)


def setup(app):
    app.add_config_value("gtp_colab_branch", "gh-pages", "html")
    # pip requirement the notebook copies install; by default the repository at the built commit
    app.add_config_value("gtp_requirement", "", "html")
    # Web address the editions' links point to (default: the repository's GitHub Pages)
    app.add_config_value("gtp_site_url", "", "html")
    # After sphinx-book-theme's add_launch_buttons (priority 501) has made the buttons.
    app.connect("html-page-context", export_editions, priority=550)
