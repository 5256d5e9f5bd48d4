"""The "Cite this book" box, made from ``CITATION.cff`` (the one description of the book's
citation, which GitHub also shows as "Cite this repository").

``{cite-this-book}`` renders a tip box with a one-line reference and BibTeX entries for
the book and for the works listed under ``references:`` (the paper).  The conversion is a
few lines for the fields the file uses; cffconvert, the reference converter, has not been
released since 2021 and pins old versions of jsonschema and ruamel.yaml, which the book's
toolchain does not share.
"""
import re
from pathlib import Path

import yaml
from docutils import nodes
from sphinx.util.docutils import SphinxDirective

REQUIRED = ("cff-version", "title", "authors", "version", "date-released", "license",
            "repository-code", "url")


def read_cff(path):
    """``CITATION.cff`` at ``path`` as a dict; ``ValueError`` names a missing field."""
    data = yaml.safe_load(Path(path).read_text())
    missing = [k for k in REQUIRED if k not in (data or {})]
    if missing:
        raise ValueError(f"{path}: CITATION.cff lacks {', '.join(missing)}")
    return data


def _authors(persons):
    out = []
    for p in persons:
        if "name" in p:
            out.append("{" + p["name"] + "}")          # an entity: braces keep it whole
        else:
            out.append(f"{p['family-names']}, {p.get('given-names', '')}".strip(", "))
    return " and ".join(out)


def _key(entry, year):
    first = entry["authors"][0]
    word = first.get("family-names") or re.sub(r"^The\s+", "", first["name"]).split()[0]
    title = re.sub(r"[^a-z ]", "", entry["title"].lower()).split()
    return f"{word.lower()}{year}{''.join(w[0] for w in title[:3])}"


def _bibtex(kind, key, fields):
    width = max(len(k) for k, _ in fields)
    body = ",\n".join(f"  {k:<{width}} = {{{v}}}" for k, v in fields if v)
    return f"@{kind}{{{key},\n{body}\n}}"


def bibtex(cff):
    """BibTeX entries: the book (``@misc``), then its ``references:``."""
    year = str(cff["date-released"])[:4]
    licences = cff["license"] if isinstance(cff["license"], list) else [cff["license"]]
    entries = [_bibtex("misc", _key(cff, year), [
        ("title", cff["title"]), ("author", _authors(cff["authors"])), ("year", year),
        ("version", str(cff["version"])), ("howpublished", f"\\url{{{cff['url']}}}"),
        ("note", f"Source: {cff['repository-code']}. Licences: {', '.join(licences)}")])]
    for ref in cff.get("references", []):
        kind = "article" if ref.get("type") == "article" else "misc"
        entries.append(_bibtex(kind, _key(ref, ref.get("year", "")), [
            ("author", _authors(ref["authors"])), ("title", ref["title"]),
            ("journal", ref.get("journal", "")), ("year", str(ref.get("year", "")))]))
    return "\n".join(entries)


def reference(cff):
    """A one-line reference to the book."""
    names = ", ".join(p.get("name") or f"{p['given-names']} {p['family-names']}"
                      for p in cff["authors"])
    return (f"{names} ({str(cff['date-released'])[:4]}). {cff['title']}, version "
            f"{cff['version']}. {cff['url']}")


class CiteThisBook(SphinxDirective):
    """``{cite-this-book}``: the box, from ``CITATION.cff`` at the book's root."""

    def run(self):
        path = Path(self.env.srcdir) / "CITATION.cff"
        self.env.note_dependency(str(path))
        cff = read_cff(path)
        box = nodes.admonition(classes=["tip", "cite-this-book"])
        box += nodes.title(text="Cite this book")
        box += nodes.paragraph(text=reference(cff))
        box += nodes.paragraph(text="BibTeX (from the repository's CITATION.cff; please cite "
                                    "the paper too):")
        block = nodes.literal_block(text=bibtex(cff), language="bibtex")
        box += block
        return [box]


def setup(app):
    app.add_directive("cite-this-book", CiteThisBook)
