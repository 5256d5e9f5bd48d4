"""The notebook editions' converter (_ext/myst_to_jupyter.py): MyST -> plain Jupyter Markdown.

The built editions themselves (every chapter, both editions) are checked by
tests/test_colab.py, which runs them in a clean environment.
"""
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import myst_to_jupyter as mj  # noqa: E402

SITE = "https://example.org/book/"


class FakeLinks(mj.Links):
    def doc(self, target):
        return f"Title of {target}", f"{SITE}{target}.html"

    def term(self, name):
        return name, f"{SITE}glossary.html#term-{name.replace(' ', '-')}"

    def ref(self, label, numbered=False):
        return ("Figure 3" if numbered else f"Section {label}"), f"{SITE}page.html#{label}"

    def cite(self, key):
        return "Farias and Maziero 2018", f"{SITE}bibliography.html"

    def reading_time(self):
        return "25 min"


CHAPTER = """\
# A chapter

:::{admonition} What you will learn
:class: tip
- one thing, see {doc}`first-look`

**You need:** {doc}`the notation <reference/notation>`. **Time:** {reading-time}`this chapter`.
:::

(sec-label)=
## A section

The {term}`sigmoid` of {cite}`farias2018gtp` gives {glue:text}`acc:.1f` % and
{glue:text}`n` runs; see {numref}`fig-x` and {ref}`the exercise <ex-1>`.

$$ a = b $$ (eq-1)

```{exercise}
:label: ex-1

Compute $x$.
```

````{solution} ex-1
:class: dropdown

It is 2:

```python
x = 2
```
````

```{exercise-start}
:label: ex-2
```

Write `f`.

```{exercise-end}
```

```{solution-start} ex-2
:class: dropdown
```

Here it is.
"""


def chapter_notebook():
    v4 = nbformat.v4
    glue_out = v4.new_output("display_data", data={
        "application/papermill.record/text/plain": "0.9876"},
        metadata={"scrapbook": {"name": "acc", "mime_prefix": "application/papermill.record/"}})
    return v4.new_notebook(cells=[
        v4.new_markdown_cell(CHAPTER),
        v4.new_code_cell("def f():\n    return 1", outputs=[]),
        v4.new_markdown_cell("```{solution-end}\n```\n\nAfter the solutions."),
        v4.new_code_cell("put('acc', 0.9876)", outputs=[glue_out]),
    ])


def convert(edition):
    nb = chapter_notebook()
    glue = dict(mj.glue_values(nb), n="12")
    return mj.convert(nb, FakeLinks(), glue, edition, where="test")


def markdown(nb):
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_glue_values_are_read_from_the_outputs():
    assert mj.glue_values(chapter_notebook()) == {"acc": "0.9876"}


@pytest.mark.parametrize("text, spec, shown", [
    ("0.9876", ".1f", "1.0"), ("0.9876", ".1%", "98.8%"), ("12", "", "12"),
    ("'MNIST'", "", "MNIST"), ("3.0", "d", "3"), ("1234.5", ",.0f", "1,234")])
def test_format_glue_as_myst_nb(text, spec, shown):
    assert mj.format_glue(text, spec) == shown


def test_teacher_edition_is_plain_markdown_with_solutions():
    nb = convert("teacher")
    md = markdown(nb)
    assert mj.leftover_myst(nb) == []
    assert "> **What you will learn**\n>\n> - one thing, see [Title of first-look]" \
           f"({SITE}first-look.html)" in md
    assert f"[the notation]({SITE}reference/notation.html)" in md
    assert "**Time:** 25 min." in md
    assert f"[sigmoid]({SITE}glossary.html#term-sigmoid)" in md
    assert f"[Farias and Maziero 2018]({SITE}bibliography.html)" in md
    assert "gives 1.0 % and\n12 runs" in md
    assert f"[Figure 3]({SITE}page.html#fig-x)" in md
    assert f"[the exercise]({SITE}page.html#ex-1)" in md
    assert "$$ a = b $$\n" in md + "\n" and "(eq-1)" not in md and "(sec-label)=" not in md
    assert "**Exercise 1.** Compute $x$." in md
    assert "**Solution to Exercise 1.**" in md and "It is 2:\n\n```python\nx = 2\n```" in md
    assert "**Exercise 2.**" in md and "Write `f`." in md
    assert "**Solution to Exercise 2.**" in md and "Here it is." in md
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code == ["def f():\n    return 1", "put('acc', 0.9876)"]
    assert nb.cells[-1].outputs == []           # the glue output carried only the value
    assert md.endswith("After the solutions.")
    nbformat.validate(nb)


def test_student_edition_has_no_solutions():
    nb = convert("student")
    md = markdown(nb)
    assert mj.leftover_myst(nb) == []
    assert "**Exercise 1.** Compute $x$." in md and "**Exercise 2.**" in md
    assert "Solution" not in md and "It is 2" not in md and "Here it is" not in md
    # the solution's code cell is gone, the code after the solution stays
    assert [c.source for c in nb.cells if c.cell_type == "code"] == ["put('acc', 0.9876)"]
    assert md.endswith("After the solutions.")
    nbformat.validate(nb)


def test_unknown_constructs_and_values_are_errors():
    v4 = nbformat.v4
    for text, match in [("```{figure} x.png\n```", "directive {figure}"),
                        ("{abbr}`GTP`", "role {abbr}"),
                        ("{glue:text}`missing`", "no glued value 'missing'"),
                        ("```{solution-start} nope\n```", "not an exercise above it"),
                        ("```{exercise}\nnever closed", "never closed")]:
        with pytest.raises(ValueError, match=match):
            mj.convert(v4.new_notebook(cells=[v4.new_markdown_cell(text)]), FakeLinks(), {},
                       "student")
    with pytest.raises(ValueError, match="edition must be one of"):
        mj.convert(v4.new_notebook(), FakeLinks(), {}, "examiner")


def test_leftover_myst_finds_what_is_left():
    v4 = nbformat.v4
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("ok $x$ `code`"),
                                v4.new_markdown_cell(":::{note}\nx\n:::"),
                                v4.new_markdown_cell("see {doc}`a`"),
                                v4.new_markdown_cell("(label)=")])
    assert [k for k, _ in mj.leftover_myst(nb)] == [1, 2, 3]
