"""The chapters' MyST Markdown turned into plain Jupyter Markdown, in two editions.

Colab, JupyterLab without extensions and VS Code render CommonMark with ``$`` maths and
HTML, nothing of MyST.  ``convert`` rewrites a chapter notebook's Markdown cells:

* admonitions become block quotes with a bold title, dropdowns ``<details>`` blocks;
* exercises become "**Exercise n.**" paragraphs, numbered from 1 in each chapter (as the
  web site numbers them); solutions (``solution`` and everything between
  ``solution-start`` and ``solution-end``, code cells included) are kept under a
  "**Solution to Exercise n.**" heading in the ``teacher`` edition and left out of the
  ``student`` edition;
* ``{doc}``, ``{term}``, ``{ref}``, ``{numref}`` and ``{cite}`` become links to the web
  site (``Links`` resolves them); ``{glue:text}`` placeholders become the values the build
  computed (the code that computes them stays in the notebook);
* labels ``(name)=`` and MyST comments are dropped.

Anything else (an unknown directive or role) raises ``ValueError``: a new construct gets a
plain form here before it reaches a student.  ``leftover_myst`` finds MyST syntax left in a
notebook; the tests and the build use it.
"""
import copy
import re
from ast import literal_eval

import nbformat

__all__ = ["EDITIONS", "Links", "convert", "leftover_myst", "glue_values", "format_glue"]

EDITIONS = ("student", "teacher")
DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*?)\s*$")
CODE_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})")
ROLE = re.compile(r"\{(?P<role>[a-z][\w:-]*)\}`(?P<text>[^`]*)`")
LABEL = re.compile(r"^\([^)\s]+\)=\s*$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
TITLED = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$")
ADMONITIONS = ("note", "tip", "hint", "important", "warning", "caution", "attention",
               "danger", "error", "seealso")
# What MyST syntax looks like, for leftover_myst: directive fences, roles, labels.
LEFTOVER = re.compile(r"^(?:`{3,}|:{3,})\{[\w:-]+\}|\{[a-z][\w:-]*\}`|^\([^)\s]+\)=\s*$",
                      re.M)


class Links:
    """Where references point; the build passes a subclass that asks Sphinx.

    Each method returns ``(text, url)``: the text to show when the reference gives none,
    and the address on the web site.
    """

    def doc(self, target):
        raise NotImplementedError

    def term(self, name):
        raise NotImplementedError

    def ref(self, label, numbered=False):
        raise NotImplementedError

    def cite(self, key):
        raise NotImplementedError

    def reading_time(self):
        """The page's computed reading time, as text."""
        raise NotImplementedError


def format_glue(text, spec):
    """A glued ``text/plain`` value formatted by ``spec``, exactly as myst-nb's
    ``{glue:text}`` formats it (``myst_nb.core.variables.format_plain_text``)."""
    try:
        value = literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not spec:
        return str(value)
    kind = spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, spec)


def glue_values(nb):
    """``{key: text/plain}`` of every value glued in the executed notebook ``nb``."""
    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            meta = output.get("metadata", {}).get("scrapbook")
            if meta:
                prefix = meta.get("mime_prefix", "")
                out[meta["name"]] = output.get("data", {}).get(prefix + "text/plain", "")
    return out


def _without_glue(cell):
    """A code cell without its glue outputs (they only carry values for the build)."""
    if cell.cell_type == "code":
        cell.outputs = [o for o in cell.get("outputs", [])
                        if "scrapbook" not in o.get("metadata", {})]
    return cell


class _Chapter:
    """Conversion state of one chapter: exercise numbers and whether we are in a solution."""

    def __init__(self, links, glue, where):
        self.links, self.glue, self.where = links, glue, where
        self.numbers, self.in_solution = {}, False

    # --- blocks ----------------------------------------------------------------------

    def blocks(self, source):
        """``[(markdown, is_solution), ...]`` for one Markdown cell's MyST source."""
        out = []

        def emit(text, solution):
            if out and out[-1][1] == solution:
                out[-1][0].append(text)
            else:
                out.append([[text], solution])

        lines, i = source.split("\n"), 0
        while i < len(lines):
            line = lines[i]
            d = DIRECTIVE.match(line)
            c = CODE_FENCE.match(line)
            if d:
                options, body, i = self._directive_parts(lines, i + 1, d.group("fence"))
                self.directive(d.group("name"), d.group("arg"), options, body, emit)
            elif c:
                end = self._close(lines, i + 1, c.group("fence"))
                for code in lines[i:end + 1]:
                    emit(code, self.in_solution)
                i = end + 1
            else:
                if not (LABEL.match(line) or line.startswith("% ")):
                    emit(self.inline(line), self.in_solution)
                i += 1
        return [(re.sub(r"\n{3,}", "\n\n", "\n".join(text)).strip("\n"), sol)
                for text, sol in out]

    def _close(self, lines, start, fence):
        closing = re.compile(rf"^{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        for k in range(start, len(lines)):
            if closing.match(lines[k]):
                return k
        raise ValueError(f"{self.where}: a fence {fence!r} is never closed")

    def _directive_parts(self, lines, start, fence):
        end = self._close(lines, start, fence)
        body, options = lines[start:end], {}
        if body and body[0].strip() == "---":            # options as a YAML block
            close = body.index("---", 1)
            import yaml
            options = yaml.safe_load("\n".join(body[1:close])) or {}
            body = body[close + 1:]
        while body and OPTION.match(body[0]):
            m = OPTION.match(body[0])
            options[m.group("key")] = m.group("value")
            body = body[1:]
        return options, body, end + 1

    def text(self, body):
        """Converted Markdown of a directive's body (nested directives included)."""
        return "\n\n".join(t for t, _ in self.blocks("\n".join(body)) if t)

    def number(self, label):
        n = len(self.numbers) + 1
        self.numbers[label or f"#{n}"] = n
        return n

    def directive(self, name, arg, options, body, emit):
        sol = self.in_solution
        if name == "admonition" or name in ADMONITIONS:
            title = arg or name.capitalize()
            inner = self.text(body)
            quoted = "\n".join(("> " + ln) if ln else ">" for ln in inner.split("\n"))
            emit(f"> **{self.inline(title)}**\n>\n{quoted}\n", sol)
        elif name in ("exercise", "exercise-start"):
            n = self.number(options.get("label"))
            head = f"**Exercise {n}" + (f" ({self.inline(arg)})" if arg else "") + ".**"
            inner = self.text(body)
            emit(f"{head} {inner}\n" if inner else f"{head}\n", sol)
        elif name == "exercise-end":
            pass
        elif name in ("solution", "solution-start"):
            if sol:
                raise ValueError(f"{self.where}: a solution inside a solution")
            n = self.numbers.get(arg)
            if n is None:
                raise ValueError(f"{self.where}: solution to {arg!r}, which is not an "
                                 f"exercise above it in the chapter")
            emit(f"**Solution to Exercise {n}.**\n", True)
            if name == "solution":
                self.in_solution = True
                emit(self.text(body) + "\n", True)
                self.in_solution = False
            else:
                self.in_solution = True
        elif name == "solution-end":
            self.in_solution = False
        elif name == "dropdown":
            emit(f"<details><summary>{self.inline(arg) or 'More'}</summary>\n\n"
                 f"{self.text(body)}\n\n</details>\n", sol)
        elif name in ("code", "code-block"):
            emit("```" + arg + "\n" + "\n".join(body) + "\n```", sol)
        elif name == "math":
            emit("$$\n" + "\n".join(body) + "\n$$", sol)
        else:
            raise ValueError(f"{self.where}: no plain-Markdown form for the MyST directive "
                             f"{{{name}}} (add one in _ext/myst_to_jupyter.py)")

    # --- inline ----------------------------------------------------------------------

    def inline(self, line):
        # $$ ... $$ (label): the equation label is MyST's, not Markdown's
        line = re.sub(r"(\$\$)\s*\([\w:-]+\)\s*$", r"\1", line)
        return ROLE.sub(self.role, line)

    def role(self, m):
        role, text = m.group("role"), m.group("text")
        titled = TITLED.match(text)
        title, target = (titled.group("title"), titled.group("target")) if titled else (
            None, text)
        if role in ("glue:text", "glue"):
            key, _, spec = target.partition(":") if role == "glue:text" else (target, "", "")
            if key not in self.glue:
                raise ValueError(f"{self.where}: no glued value {key!r} in the executed "
                                 f"chapter")
            return format_glue(self.glue[key], spec)
        if role == "math":
            return f"${text}$"
        if role == "reading-time":
            return self.links.reading_time()
        if role == "doc":
            shown, url = self.links.doc(target)
        elif role == "term":
            shown, url = self.links.term(target)
        elif role in ("ref", "numref"):
            shown, url = self.links.ref(target, numbered=role == "numref")
        elif role.split(":")[0] == "cite":
            parts = [self.links.cite(k.strip()) for k in target.split(",")]
            return "; ".join(f"[{t}]({u})" for t, u in parts)
        else:
            raise ValueError(f"{self.where}: no plain-Markdown form for the MyST role "
                             f"{{{role}}} (add one in _ext/myst_to_jupyter.py)")
        return f"[{title or shown}]({url})"


def convert(nb, links, glue, edition, where="chapter"):
    """``nb`` (a chapter notebook, e.g. from ``portable``) in plain Jupyter Markdown.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The chapter; not modified.
    links : Links
        Resolves cross-references and citations to addresses on the web site.
    glue : dict
        ``{key: text/plain}`` of the values the build glued (``glue_values``).
    edition : {"student", "teacher"}
        ``student`` leaves the solutions out, ``teacher`` keeps them.
    where : str
        Names the chapter in error messages.

    Returns
    -------
    nbformat.NotebookNode
    """
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}, got {edition!r}")
    chapter = _Chapter(links, glue, where)
    out = nbformat.from_dict(nbformat.v4.new_notebook())
    out.metadata = nbformat.from_dict(dict(nb.metadata))
    out.metadata["gtp_edition"] = edition
    out.metadata.pop("jupytext", None)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            if not chapter.in_solution or edition == "teacher":
                new = _without_glue(nbformat.from_dict(copy.deepcopy(dict(cell))))
                if chapter.in_solution:
                    new.metadata["tags"] = list(new.metadata.get("tags", [])) + ["solution"]
                out.cells.append(new)
            continue
        for text, solution in chapter.blocks(cell.source):
            if text.strip() and (edition == "teacher" or not solution):
                new = nbformat.v4.new_markdown_cell(text)
                if solution:
                    new.metadata["tags"] = ["solution"]
                out.cells.append(new)
    if chapter.in_solution:
        raise ValueError(f"{where}: a solution-start without its solution-end")
    for k, cell in enumerate(out.cells):       # ids unique and stable across builds
        cell["id"] = f"{edition[0]}{k:03d}"
    return out


def leftover_myst(nb):
    """``[(cell index, excerpt), ...]`` of MyST syntax left in ``nb``'s Markdown cells, and
    of glue placeholders anywhere."""
    found = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found += [(k, m.group(0)) for m in LEFTOVER.finditer(cell.source)]
        elif "{glue:" in cell.source and "`" in cell.source.split("{glue:", 1)[1][:2]:
            found.append((k, "{glue:"))
    return found
