"""Graded assignments: otter-grader's student and autograder versions, from one source each.

Each ``book/assignments/<part>.md`` is a MyST notebook (jupytext) in Otter Assign's format:
```` ```otter ```` blocks mark the assignment config, the questions, the solutions and the
tests; the tests call the book's checkers (``gtp.book.exercises``), so a student gets the
checkers' specific feedback and the grade at once.  For each source this script

1. converts it to ``_build/assignments/<part>/<part>.ipynb`` (jupytext);
2. runs ``otter assign``, which writes ``student/`` (the notebook without solutions, with
   its public tests) and ``autograder/`` (the solution notebook and
   ``autograder.zip``), after checking that the solutions pass every test;
3. copies the student notebook to the site, ``_assignments/<part>.ipynb``.

Grade a submission without Docker with ``otter run -a autograder.zip submission.ipynb``
(one JSON of scores per submission), or a folder of them with ``otter grade`` (Docker).

    python scripts/assignments.py [SITE]        # SITE: _build/html by default
"""
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "book" / "assignments"
OUT = ROOT / "_build" / "assignments"


def sources():
    """The assignment sources, ``book/assignments/*.md``, sorted."""
    found = sorted(SOURCES.glob("*.md"))
    if not found:
        raise SystemExit(f"no assignment sources in {SOURCES}")
    return found


def otter():
    """The ``otter`` command beside this Python (the book's environment)."""
    exe = Path(sys.executable).with_name("otter")
    return str(exe) if exe.exists() else "otter"


def assign(source, out=OUT):
    """Run Otter Assign on ``source``; the folder holding ``student/`` and ``autograder/``."""
    dest = out / source.stem
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    master = dest / f"{source.stem}.ipynb"     # the students' file gets this name too
    jupytext.write(jupytext.read(source), master)
    done = subprocess.run([otter(), "assign", "--no-pdfs", master.name, "dist"], cwd=dest,
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"otter assign failed on {source.relative_to(ROOT)}:\n"
                         f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    dist = dest / "dist"
    zips = sorted((dist / "autograder").glob("*-autograder_*.zip"))
    if len(zips) != 1:
        raise SystemExit(f"otter assign wrote {len(zips)} autograder zips for {source.stem}")
    zips[0].replace(dist / "autograder" / "autograder.zip")   # a name that does not change
    return dist


def main(argv):
    site = (Path(argv[0]) if argv else ROOT / "_build" / "html").resolve()
    for source in sources():
        dist = assign(source)
        student = dist / "student" / f"{source.stem}.ipynb"
        target = site / "_assignments" / f"{source.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(student, target)
        print(f"assignment {source.stem}: {target} (student), "
              f"{dist / 'autograder' / 'autograder.zip'} (autograder)")


if __name__ == "__main__":
    main(sys.argv[1:])
