"""Slides of each part and the whole book as a PDF, from the notebook editions of a build.

``make book`` runs this after Jupyter Book has written the site and the editions
(``_ext/notebook_editions.py``):

* ``_slides/<part>.slides.html``: one reveal.js deck per part of the book, made from the
  student editions (prose, maths and figures; code hidden; exercises kept as questions).
  reveal.js comes from the ``sphinx-revealjs`` package, which vendors it, MathJax from the
  site's own copy: nothing is loaded from the network, so the slides work offline.
* ``_pdf/gtp-book.pdf``: every chapter's teacher edition, in the order of the table of
  contents, with the solutions moved to an appendix, printed by headless Chromium (the
  browser the browser tests use) once MathJax has typeset the equations.  Without Chromium
  the PDF is skipped with a message, like the browser tests.

    python scripts/handouts.py [SITE]        # SITE: _build/html by default
"""
import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = Path(__file__).resolve().parent / "handouts"
PDF_NAME = "gtp-book.pdf"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
TITLE = "Gradient Target Propagation: an interactive book"
LICENCE = ("Text and figures: CC BY 4.0 (LICENSE-text); code: MIT (LICENSE). "
           "The GTP book contributors.")


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def parts(site):
    """``[(caption, [student-edition path, ...]), ...]`` of the parts with notebooks."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    out = []
    for part in toc.get("parts", []):
        paths = [site / "_colab" / f"{re.sub(r'[.]md$', '', c['file'])}.ipynb"
                 for c in part.get("chapters", []) if "file" in c]
        paths = [p for p in paths if p.exists()]
        if paths:
            out.append((part["caption"], paths))
    if not out:
        raise SystemExit(f"no notebook editions under {site}/_colab: run `make book` first")
    return out


def _images_only(cell):
    """A code cell's figures (its other outputs, widgets and text, stay in the notebook)."""
    keep = []
    for out in cell.get("outputs", []):
        data = {k: v for k, v in out.get("data", {}).items() if k.startswith("image/")}
        if data:
            keep.append(nbformat.v4.new_output("display_data", data=data))
    return keep


def _fresh_ids(nb, cells):
    """``nb`` holding ``cells``, gathered from several notebooks, with ids unique in it
    (``new_notebook(cells=...)`` would validate, and complain, before they are)."""
    nb.cells = cells
    for k, cell in enumerate(nb.cells):
        cell["id"] = f"c{k:05d}"
    return nb


def _slide(cell, kind):
    cell.metadata["slideshow"] = {"slide_type": kind}
    return cell


def part_deck(caption, paths):
    """One notebook holding the slides of a part: a title slide, then every chapter's
    headings as slides, its paragraphs and figures as sub-slides."""
    v4 = nbformat.v4
    cells = [_slide(v4.new_markdown_cell(f"# {caption}\n\n*{TITLE}*\n\n<small>{LICENCE}</small>"),
                    "slide")]
    for path in paths:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                heading = re.match(r"#{1,2} ", cell.source)
                cells.append(_slide(v4.new_markdown_cell(cell.source),
                                    "slide" if heading else "subslide"))
            elif cell.cell_type == "code":
                figures = _images_only(cell)
                if figures:
                    code = v4.new_code_cell("", outputs=figures)
                    cells.append(_slide(code, "subslide"))
    return _fresh_ids(v4.new_notebook(metadata={"title": f"{caption}: {TITLE}"}), cells)


def write_text(dest, text):
    """Write ``text`` to ``dest`` atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(dest)


def reveal_source():
    import sphinx_revealjs
    return Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"


def slides(site):
    """Write ``_slides/<part>.slides.html`` for every part; the paths written."""
    from nbconvert import SlidesExporter
    dest = site / "_slides"
    shutil.copytree(reveal_source() / "dist", dest / "reveal.js" / "dist", dirs_exist_ok=True)
    shutil.copytree(reveal_source() / "plugin" / "notes", dest / "reveal.js" / "plugin" / "notes",
                    dirs_exist_ok=True)
    exporter = SlidesExporter(template_file=str(TEMPLATES / "slides.html.j2"),
                              exclude_input=True, exclude_input_prompt=True,
                              exclude_output_prompt=True, reveal_url_prefix="reveal.js",
                              reveal_theme="white", reveal_scroll=True,
                              mathjax_url="../_static/mathjax/tex-mml-chtml.js")
    written = []
    for caption, paths in parts(site):
        html, _ = exporter.from_notebook_node(part_deck(caption, paths))
        out = dest / f"{slug(caption)}.slides.html"
        write_text(out, html)
        written.append(out)
    return written


def book_notebook(site):
    """Every chapter's teacher edition in order, the solutions in an appendix."""
    v4 = nbformat.v4
    cells = [v4.new_markdown_cell(f"# {TITLE}\n\n{LICENCE}\n\nThe solutions of the exercises "
                                  f"are in the appendix at the end.")]
    appendix = [v4.new_markdown_cell("# Appendix: solutions")]
    for caption, paths in parts(site):
        for student in paths:
            teacher = site / "_teacher" / student.relative_to(site / "_colab")
            nb = nbformat.read(teacher, as_version=4)
            title = next((c.source.split("\n")[0].lstrip("# ") for c in nb.cells
                          if c.cell_type == "markdown" and c.source.startswith("# ")),
                         student.stem)
            solutions = []
            for cell in nb.cells:
                tags = cell.metadata.get("tags", [])
                if "colab-setup" in tags:
                    continue
                cell = copy.deepcopy(cell)
                if cell.cell_type == "code":
                    cell.outputs = [o for o in cell.get("outputs", [])
                                    if "application/vnd.jupyter.widget-view+json"
                                    not in o.get("data", {})]
                (solutions if "solution" in tags else cells).append(cell)
            if solutions:
                appendix.append(v4.new_markdown_cell(f"## {caption}: {title}"))
                appendix += solutions
    return _fresh_ids(v4.new_notebook(metadata={"title": TITLE}), cells + appendix)


def browser():
    return next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)


def pdf(site, timeout=900):
    """Write ``_pdf/gtp-book.pdf``; its path, or ``None`` without Chromium."""
    from nbconvert import HTMLExporter
    chrome = browser()
    if chrome is None:
        print("handouts: no chromium found (apt-get install chromium): PDF skipped")
        return None
    exporter = HTMLExporter(template_file=str(TEMPLATES / "book.html.j2"),
                            exclude_input_prompt=True, exclude_output_prompt=True,
                            mathjax_url="../_static/mathjax/tex-mml-chtml.js")
    html, _ = exporter.from_notebook_node(book_notebook(site))
    page = site / "_pdf" / "gtp-book.html"
    write_text(page, html)
    out = page.with_name(PDF_NAME)
    tmp = out.with_name(out.name + ".tmp")
    cmd = [chrome, "--headless", "--disable-gpu", "--no-pdf-header-footer",
           "--run-all-compositor-stages-before-draw", "--virtual-time-budget=120000",
           f"--print-to-pdf={tmp}", page.as_uri()]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.insert(1, "--no-sandbox")         # Chromium refuses to run as root otherwise
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
        raise SystemExit(f"handouts: chromium could not print the book:\n{done.stderr[-2000:]}")
    tmp.replace(out)
    return out


def main(argv):
    site = (Path(argv[0]) if argv else ROOT / "_build" / "html").resolve()
    if not (site / "index.html").exists():
        raise SystemExit(f"{site} holds no built book: run `make book` first")
    for path in slides(site):
        print(f"slides: {path}")
    out = pdf(site)
    if out is not None:
        print(f"PDF: {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main(sys.argv[1:])
