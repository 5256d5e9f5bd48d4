"""List the book's chapters from _toc.yml and convert them to .ipynb notebooks.

Used by ``make nbval`` (nbval runs .ipynb files).  The notebook editions for Colab and
plain Jupyter (student and teacher) need the build's values: ``make book`` writes them
(``_ext/notebook_editions.py``) to ``_build/html/_colab/`` and ``_build/html/_teacher/``.

    python scripts/chapters.py list
    python scripts/chapters.py ipynb OUTDIR
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
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
