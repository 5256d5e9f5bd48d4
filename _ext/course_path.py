"""Course paths for teachers, and reading times computed from the chapters.

* **Reading time.**  A chapter's time is computed, not typed:

      minutes = words / 200 + 1 per figure + 3 per interactive panel + 5 per exercise,

  rounded up to the next 5 minutes (``reading_minutes``).  Words are the prose of the
  Markdown cells and the visible code (MyST markup stripped, solutions included); figures
  and panels are the image and widget outputs of the visible cells of the executed chapter
  (from the execution cache); exercises are the ``exercise`` directives.  The
  ``{reading-time}`` role writes it in a chapter's "What you will learn" box.

* **Course paths.**  The ``course-path`` directive lists the chapters of some parts of the
  book with each chapter's time and **You need** (read from its "What you will learn"
  box), and the total time.  It is re-read at every build (the chapters may have changed),
  and a notebook chapter without that box is a build warning, so a strict build (``-W``)
  enforces the convention of ``book/first-look.md``.
"""
import math
import posixpath
import re
from pathlib import Path

import yaml
from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

LOGGER = logging.getLogger(__name__)

BOX = re.compile(r"\*\*You need:\*\*(?P<need>.*?)\*\*Time:\*\*", re.S)
WORDS_PER_MINUTE = 200
MINUTES_PER = {"figures": 1, "panels": 3, "exercises": 5}
FENCE_LINE = re.compile(r"^\s*(?:`{3,}|:{3,})(?:\{[\w:-]+\}.*)?$|^\s*:[\w-]+:.*$")
ROLE = re.compile(r"\{[a-z][\w:-]*\}`([^`]*)`")
HIDDEN = {"remove-cell", "remove-input", "colab-setup"}


def reading_counts(nb):
    """``{"words", "figures", "panels", "exercises"}`` of a chapter notebook ``nb`` (MyST
    Markdown cells; outputs when it was executed)."""
    counts = dict(words=0, figures=0, panels=0, exercises=0)
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "markdown":
            src = cell.source
            counts["exercises"] += len(re.findall(r"^(?:`{3,}|:{3,})\{exercise(?:-start)?\}",
                                                  src, re.M))
            prose = "\n".join(ln for ln in src.split("\n") if not FENCE_LINE.match(ln))
            counts["words"] += len(ROLE.sub(r"\1", prose).split())
        elif cell.cell_type == "code" and not tags & HIDDEN:
            counts["words"] += len(cell.source.split())
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "application/vnd.jupyter.widget-view+json" in data:
                    counts["panels"] += 1
                elif any(k.startswith("image/") for k in data):
                    counts["figures"] += 1
    return counts


def reading_minutes(counts):
    """Minutes to work through a chapter with ``counts`` (see the module's formula)."""
    total = counts["words"] / WORDS_PER_MINUTE + sum(
        counts[k] * m for k, m in MINUTES_PER.items())
    return max(5, 5 * math.ceil(total / 5 - 1e-9))


def chapter_minutes(env, docname):
    """Reading minutes of chapter ``docname``, from its executed notebook when cached."""
    cache = getattr(env, "gtp_reading_minutes", {})
    if docname not in cache:
        import notebook_editions
        nb = notebook_editions.executed(env.app, docname)
        cache[docname] = reading_minutes(reading_counts(nb))
        env.gtp_reading_minutes = cache
    return cache[docname]


def reading_time_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{reading-time}`this chapter``: the computed time of the page it is on."""
    env = inliner.document.settings.env
    return [nodes.Text(fmt_minutes(chapter_minutes(env, env.docname)))], []


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


def chapter_need(path, docname=""):
    """The **You need:** MyST text of a chapter's "What you will learn" box, rebased for
    use on another page (see ``rebase``), or ``None`` without a box."""
    m = BOX.search(Path(path).read_text())
    return None if m is None else rebase(m.group("need"), docname)


def is_notebook_source(path):
    head = Path(path).read_text().split("\n---", 1)[0]
    return "kernelspec:" in head


def fmt_minutes(m):
    h, mm = divmod(int(m), 60)
    return f"{h} h {mm:02d} min" if h else f"{mm} min"


def course_rows(env, wanted=()):
    """``[(part, docname, minutes, need or None), ...]`` of the notebook chapters of the
    parts ``wanted`` (all when empty), in the order of the table of contents."""
    rows = []
    for caption, docs in toc_parts(env.srcdir):
        if wanted and caption not in wanted:
            continue
        for doc in docs:
            path = env.doc2path(doc)
            if Path(path).exists() and is_notebook_source(path):
                rows.append((caption, doc, chapter_minutes(env, doc), chapter_need(path, doc)))
    return rows


class CoursePath(SphinxDirective):
    """Table of the chapters of the given parts (``:parts:`` captions, comma-separated,
    all parts when omitted), with time, prerequisites and the total time."""
    option_spec = {"parts": directives.unchanged}

    def run(self):
        env = self.env
        env.gtp_course_docs = getattr(env, "gtp_course_docs", set()) | {env.docname}
        wanted = [p.strip() for p in self.options.get("parts", "").split(",") if p.strip()]
        known = [c for c, _ in toc_parts(env.srcdir)]
        missing = [w for w in wanted if w not in known]    # parts still being written
        rows = course_rows(env, wanted)
        for _, doc, _, need in rows:
            if need is None:
                LOGGER.warning(f"{doc}: no 'What you will learn' box with **You need:** and "
                               f"**Time:** (see book/first-look.md)", location=env.doc2path(doc))
        note = ([nodes.paragraph(text="Not in the book yet: the " + ", ".join(missing) +
                                 (" part." if len(missing) == 1 else " parts."))]
                if missing else [])
        if not rows:
            return note
        total = sum(r[2] for r in rows)
        return [self.table(rows), nodes.paragraph(
            text=f"{len(rows)} chapters, about {fmt_minutes(total)} in all.")] + note

    def table(self, rows):
        table = nodes.table(classes=["course-path"])
        group = nodes.tgroup(cols=4)
        table += group
        for width in (16, 34, 10, 40):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self.row([nodes.Text(h) for h in ("Part", "Chapter", "Time", "You need")])
        body = nodes.tbody()
        group += body
        for caption, doc, mins, need in rows:
            ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget="/" + doc,
                                        refexplicit=False, refwarn=True)
            ref += nodes.inline("", doc)
            need_node = nodes.inline()
            self.state.nested_parse(StringList([need or "-"]), self.content_offset, need_node)
            need_children = (need_node.children[0].children if len(need_node.children) == 1
                             and isinstance(need_node.children[0], nodes.paragraph)
                             else need_node.children)
            body += self.row([nodes.Text(caption), ref, nodes.Text(fmt_minutes(mins)),
                              list(need_children)])
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


def parse_plan(text, known):
    """Sessions of a ``course-plan`` (YAML list), checked: every session has a title, its
    contact minutes and chapters that exist; ``ValueError`` names what is wrong."""
    sessions = yaml.safe_load(text)
    if not isinstance(sessions, list) or not sessions:
        raise ValueError("course-plan: expected a YAML list of sessions")
    for k, sess in enumerate(sessions, 1):
        for key in ("title", "contact", "class"):
            if key not in sess:
                raise ValueError(f"course-plan: session {k} has no {key!r}")
        for doc in sess["class"] + sess.get("homework", []):
            if doc not in known:
                raise ValueError(f"course-plan: session {k} lists {doc!r}, which is not a "
                                 f"notebook chapter of the table of contents")
    return sessions


def plan_rows(sessions, minutes):
    """``[(session, in-class minutes, homework minutes, spare contact minutes)]`` of a plan
    given every chapter's reading ``minutes``."""
    rows = []
    for sess in sessions:
        in_class = sum(minutes[d] for d in sess["class"])
        home = sum(minutes[d] for d in sess.get("homework", []))
        rows.append((sess, in_class, home, int(sess["contact"]) - in_class))
    return rows


class CoursePlan(SphinxDirective):
    """A course as sessions (YAML list in the body): ``title``, ``contact`` (minutes),
    ``class`` and ``homework`` (chapters), ``before`` (what to start before class).
    Rendered as a table whose times are the chapters' computed reading times; a session
    whose chapters do not fit in its contact time, and a chapter the plan leaves out, are
    build warnings."""
    has_content = True

    def run(self):
        env = self.env
        env.gtp_course_docs = getattr(env, "gtp_course_docs", set()) | {env.docname}
        rows = course_rows(env)
        minutes = {doc: m for _, doc, m, _ in rows}
        try:
            sessions = parse_plan("\n".join(self.content), minutes)
        except (ValueError, yaml.YAMLError) as exc:
            return [self.state.document.reporter.error(str(exc), line=self.lineno)]
        planned = plan_rows(sessions, minutes)
        covered = {d for s in sessions for d in s["class"] + s.get("homework", [])}
        for doc in minutes:
            if doc not in covered:
                LOGGER.warning(f"course-plan: {doc} is in no session",
                               location=(env.docname, self.lineno))
        lines = ["| Session | In class | Contact | Homework | Start before class |",
                 "|---|---|---|---|---|"]
        for k, (sess, in_class, home, spare) in enumerate(planned, 1):
            if spare < 0:
                LOGGER.warning(f"course-plan: session {k}'s chapters take {in_class} min, "
                               f"more than its {sess['contact']} min", location=(env.docname,
                                                                                 self.lineno))

            def docs(ds):
                return "<br>".join(f"{{doc}}`/{d}` ({fmt_minutes(minutes[d])})" for d in ds)
            lines.append(
                f"| {k}. {sess['title']} | {docs(sess['class'])} | "
                f"{fmt_minutes(sess['contact'])}: {fmt_minutes(in_class)} of chapters, "
                f"{fmt_minutes(max(spare, 0))} for discussion | "
                f"{docs(sess.get('homework', [])) or '-'}"
                f"{f'<br>in all {fmt_minutes(home)}' if len(sess.get('homework', [])) > 1 else ''}"
                f" | {sess.get('before', '-')} |")
        contact = sum(s["contact"] for s in sessions)
        home = sum(r[2] for r in planned)
        lines += ["", f"In all: {len(sessions)} sessions, {fmt_minutes(contact)} of contact "
                      f"time and {fmt_minutes(home)} of homework reading; the "
                      f"{len(minutes)} chapters take {fmt_minutes(sum(minutes.values()))}."]
        node = nodes.container(classes=["course-plan"])
        self.state.nested_parse(StringList(lines, source=env.docname), self.content_offset, node)
        return [node]


def course_docs_outdated(app, env, added, changed, removed):
    """Pages with a course path are rebuilt every time: the chapters may have changed."""
    env.gtp_reading_minutes = {}
    return sorted(d for d in getattr(env, "gtp_course_docs", set()) if d in env.found_docs)


def purge_course_doc(app, env, docname):
    getattr(env, "gtp_course_docs", set()).discard(docname)
    getattr(env, "gtp_reading_minutes", {}).pop(docname, None)


def setup(app):
    app.add_directive("course-path", CoursePath)
    app.add_directive("course-plan", CoursePlan)
    app.add_role("reading-time", reading_time_role)
    app.connect("env-get-outdated", course_docs_outdated)
    app.connect("env-purge-doc", purge_course_doc)
