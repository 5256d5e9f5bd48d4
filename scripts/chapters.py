"""List the book's chapters from _toc.yml and convert them to .ipynb notebooks.

Used by ``make nbval`` (nbval runs .ipynb files) and by the book build (each page
offers its chapter as a downloadable notebook).  ``colab`` writes the copies for Colab and
plain Jupyter exactly as the book build does (``_ext/book_site.py``), without the build.

    python scripts/chapters.py list
    python scripts/chapters.py ipynb OUTDIR
    python scripts/chapters.py colab OUTDIR
"""
import sys
from pathlib import Path

import jupytext
import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_files(node):
    """Every ``file:`` entry of the table of contents, in order."""
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        for key in ("root", "parts", "chapters", "sections"):
            if key == "root" and key in node:
                yield node[key]
            elif key in node:
                for child in node[key]:
                    yield from toc_files(child)


def notebooks():
    """Chapters (in toc order) that are executable MyST notebooks."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    out = []
    for f in toc_files(toc):
        path = ROOT / (f if f.endswith(".md") else f + ".md")
        if not path.exists():
            sys.exit(f"_toc.yml lists {f}, but {path} does not exist")
        if "kernelspec:" in path.read_text().split("\n---", 1)[0]:
            out.append(path)
    return out


def colab_copy(path):
    """The notebook copy of the chapter at ``path`` for Colab and plain Jupyter, exactly
    as the book build writes it to ``_colab/`` (``_ext/book_site.py``)."""
    import gtp
    sys.path.insert(0, str(ROOT / "_ext"))
    import book_site
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    requirement = book_site.gtp_requirement(url, gtp.__version__, book_site.built_commit(ROOT))
    return book_site.colab_notebook(path, requirement, gtp.__version__)


def colab_copies(outdir):
    """Write every chapter's notebook copy under ``outdir``; the paths written."""
    import nbformat
    out = []
    for p in notebooks():
        dest = outdir / p.relative_to(ROOT).with_suffix(".ipynb")
        dest.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(colab_copy(p), dest)
        out.append(dest)
    return out


def main(argv):
    if argv[:1] == ["list"]:
        print("\n".join(str(p.relative_to(ROOT)) for p in notebooks()))
    elif len(argv) == 2 and argv[0] == "ipynb":
        outdir = Path(argv[1])
        for p in notebooks():
            dest = outdir / p.relative_to(ROOT).with_suffix(".ipynb")
            dest.parent.mkdir(parents=True, exist_ok=True)
            jupytext.write(jupytext.read(p), dest)
            print(dest)
    elif len(argv) == 2 and argv[0] == "colab":
        for dest in colab_copies(Path(argv[1])):
            print(dest)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
