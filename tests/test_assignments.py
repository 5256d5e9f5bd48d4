"""Graded assignments (scripts/assignments.py): otter-grader grades them as a teacher would.

``make book`` builds them into ``_build/assignments/`` (Otter Assign); ``make teaching``
runs this file after the strict build.  Each assignment is graded with ``otter run`` (no
Docker): the solutions get every point, an untouched answer none,
and a submission that only forwards to ``gtp``'s own implementation none for that question
(one mixed submission per assignment, as each ``otter run`` executes the whole notebook).
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import assignments  # noqa: E402

NAMES = [p.stem for p in assignments.sources()]
# A submission that hands the work to the library: the answer of one question per part.
FORWARD = {
    "theory": ("def sigmoid(z):", "def sigmoid(z):\n    return gtp.sigmoid(z)", "sigmoid"),
    "initialisation": ("def uncertainty(y):", "def uncertainty(y):\n    from gtp.maths.initialisation "
                       "import uncertainty as u\n    return u(y)", "uncertainty"),
    "training": ("def quadratic_cost(yL, label):", "from gtp.maths.network import quadratic_cost as "
                 "cost\n\ndef quadratic_cost(yL, label):\n    return cost(yL, label)", "quadratic-cost"),
    "relatives": ("def angle(a, b):", "angle = gtp.maths.relatives_maths.angle", "angle"),
}


def built(name):
    dist = assignments.OUT / name / "dist"
    if not (dist / "autograder" / "autograder.zip").exists():
        pytest.fail(f"{dist.relative_to(ROOT)} is missing: run `make book` first")
    return dist


def grade(dist, nb, tmp_path):
    """``{question: (score, possible)}`` of the notebook ``nb`` by ``otter run``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    sub = tmp_path / f"{dist.parent.name}.ipynb"
    nbformat.write(nb, sub)
    done = subprocess.run([assignments.otter(), "run", "--no-logo", "-a",
                           str(dist / "autograder" / "autograder.zip"), "-o", str(tmp_path),
                           str(sub)], capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    return {t["name"]: (t["score"], t["max_score"]) for t in results["tests"] if "score" in t}


@pytest.mark.parametrize("name", NAMES)
def test_student_version_has_no_solutions(name):
    dist = built(name)
    student = nbformat.read(dist / "student" / f"{name}.ipynb", as_version=4)
    solution = nbformat.read(dist / "autograder" / f"{name}.ipynb", as_version=4)
    answers = [c for c in student.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert len(answers) >= 2
    assert all(re.search(r"^\s*\.\.\.\s*$", c.source, re.M) for c in answers)
    student_code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    for cell in answers:                         # no line of a solution reaches the student
        head = cell.source.split("\n")[0]
        solved = next(c.source for c in solution.cells if c.source.split("\n")[0] == head)
        body = [ln for ln in solved.split("\n")[1:] if ln.strip() and "SOLUTION" not in ln]
        assert body and not any(ln in student_code for ln in body), solved
    # the site hands out the student version
    assert (ROOT / "_build" / "html" / "_assignments" / f"{name}.ipynb").read_text() == \
        (dist / "student" / f"{name}.ipynb").read_text()


@pytest.mark.parametrize("name", NAMES)
def test_otter_grades_answers_blanks_and_forwarding(name, tmp_path):
    """One mixed submission per assignment (each ``otter run`` executes the notebook): the
    first answer forwards to gtp's implementation, the last is left blank, the others are
    the solutions.  (Otter Assign already checked that the solutions pass every test.)"""
    dist = built(name)
    solution = nbformat.read(dist / "autograder" / f"{name}.ipynb", as_version=4)
    student = nbformat.read(dist / "student" / f"{name}.ipynb", as_version=4)
    heads = [c.source.split("\n")[0] for c in student.cells
             if "otter_answer_cell" in c.metadata.get("tags", [])]
    answers = [next(k for k, c in enumerate(solution.cells) if c.source.split("\n")[0] == h)
               for h in heads]                  # the same answer cells, with the solutions
    head, body, forwarded = FORWARD[name]
    first, blank = answers[0], answers[-1]       # later answers may call earlier ones
    assert solution.cells[first].source.startswith(head)
    solution.cells[first].source = body
    solution.cells[blank].source = next(c.source for c in student.cells
                                        if c.source.split("\n")[0] == heads[-1])
    scores = grade(dist, solution, tmp_path)
    questions = list(scores)
    assert len(questions) == len(answers) and questions[0] == forwarded
    assert scores[forwarded][0] == 0 and scores[questions[-1]][0] == 0, scores
    assert all(score == possible > 0 for score, possible in
               (scores[q] for q in questions[1:-1])), scores
