"""The book-site Sphinx extensions (_ext/): offline MathJax, notebook editions, course
paths and reading times; and the chapter convention that the course paths read."""
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import book_site  # noqa: E402
import course_path  # noqa: E402
import notebook_editions  # noqa: E402


def _nb(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def test_reading_counts_words_figures_panels_exercises():
    v4 = nbformat.v4
    png = v4.new_output("display_data", data={"image/png": "AAAA", "text/plain": "<Figure>"})
    widget = v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "text/html": "<img>"})
    nb = _nb(v4.new_markdown_cell("# Title\n\n:::{admonition} What\n:class: tip\none two three "
                                  "{doc}`four five`\n:::"),
             v4.new_code_cell("a = 1\nfig", outputs=[png, png]),
             v4.new_code_cell("panel", outputs=[widget]),
             v4.new_code_cell("hidden words here", outputs=[png], metadata={"tags": ["remove-cell"]}),
             v4.new_markdown_cell("```{exercise}\n:label: e1\nsix\n```\n\n```{exercise-start}\n```"))
    # words: "# Title" (2) + 5 prose words + "What" is on a fence line (not counted)
    # + code "a = 1 fig" (4) + "panel" (1) + "six" (1); the hidden cell counts nothing.
    assert course_path.reading_counts(nb) == dict(words=13, figures=2, panels=1, exercises=2)


@pytest.mark.parametrize("counts, minutes", [
    (dict(words=0, figures=0, panels=0, exercises=0), 5),          # at least 5 minutes
    (dict(words=2000, figures=0, panels=0, exercises=0), 10),      # 200 words a minute
    (dict(words=2001, figures=0, panels=0, exercises=0), 15),      # rounded up to 5 minutes
    (dict(words=1000, figures=3, panels=1, exercises=2), 25),      # 5 + 3 + 3 + 10 = 21
    (dict(words=4000, figures=10, panels=2, exercises=4), 60),     # 20 + 10 + 6 + 20 = 56
])
def test_reading_minutes_formula(counts, minutes):
    assert course_path.reading_minutes(counts) == minutes


@pytest.mark.parametrize("m, text", [(5, "5 min"), (60, "1 h 00 min"), (395, "6 h 35 min")])
def test_fmt_minutes(m, text):
    assert course_path.fmt_minutes(m) == text


def test_rebase_makes_chapter_links_absolute():
    text = ("NumPy, {doc}`../first-look`, {doc}`the notation <../reference/notation>`, "
            "{doc}`deriving-gtp` and [eq. 5](deriving-gtp.md#eq5), see https://x.org.")
    assert course_path.rebase(text, "book/theory/backprop-hebbian") == (
        "NumPy, {doc}`/book/first-look`, {doc}`the notation </book/reference/notation>`, "
        "{doc}`/book/theory/deriving-gtp` and {doc}`eq. 5 </book/theory/deriving-gtp>`, "
        "see https://x.org")
    assert course_path.rebase("`np.outer` and $W^T$ {eq}`eq-5`", "book/x") == "`np.outer` and $W^T$ {eq}`eq-5`"


def test_chapter_need_of_the_model_chapter():
    need = course_path.chapter_need(ROOT / "book" / "first-look.md", "book/first-look")
    assert need == "NumPy and the chain rule"


def test_chapter_need_missing(tmp_path):
    page = tmp_path / "c.md"
    page.write_text("# A chapter\n\nNo box here. **Time:** is mentioned but not the rest.\n")
    assert course_path.chapter_need(page) is None


def notebook_chapters():
    return [f"{doc}.md" for _, docs in course_path.toc_parts(ROOT) for doc in docs
            if (ROOT / f"{doc}.md").exists() and course_path.is_notebook_source(ROOT / f"{doc}.md")]


@pytest.mark.parametrize("chapter", notebook_chapters())
def test_chapter_conventions(chapter):
    """Issue 8's teaching apparatus, as in book/first-look.md: a 'What you will learn' tip
    with **You need:** and **Time:** (a duration, read by book/teachers.md); a hidden first
    code cell checking the gtp version; exercises with solutions in dropdowns."""
    import re

    import jupytext

    import gtp
    path = ROOT / chapter
    text = path.read_text()
    need = course_path.chapter_need(path, chapter[:-3])
    assert "What you will learn" in text and need is not None, \
        "no 'What you will learn' box with **You need:** and **Time:**"
    assert "**Time:** {reading-time}`this chapter`" in text, \
        "the box's time is computed: write **Time:** {reading-time}`this chapter`"
    code = [c for c in jupytext.read(path).cells if c.cell_type == "code"]
    assert code and f'check_version("{gtp.__version__}")' in code[0].source \
        and "remove-cell" in code[0].metadata.get("tags", []), \
        f'the first code cell should be gtp.check_version("{gtp.__version__}"), tagged remove-cell'
    exercises = re.findall(r"^(?:`{3,}|:{3,})\{exercise(?:-start)?\}", text, re.M)
    solutions = re.findall(r"^(?:`{3,}|:{3,})\{solution(?:-start)?\}[^\n]*\n(?::[^\n]*\n)*", text, re.M)
    assert exercises, "no {exercise}"
    assert len(solutions) >= len(exercises), f"{len(exercises)} exercises, {len(solutions)} solutions"
    hidden = [s for s in solutions if ":class: dropdown" in s]
    assert len(hidden) == len(solutions), "every solution should be hidden (:class: dropdown)"


def test_toc_parts_follow_the_toc():
    parts = dict(course_path.toc_parts(ROOT))
    assert "book/first-look" in parts["Getting started"]
    assert "book/workshop" in parts["Workshop"]
    assert "book/intro" not in sum(parts.values(), [])


def test_colab_notebook_starts_with_the_setup_cell():
    import gtp
    req = notebook_editions.gtp_requirement("https://github.com/gtp-book/gradient-target-propagation",
                                    gtp.__version__, "0" * 40)
    assert req == "gtp @ git+https://github.com/gtp-book/gradient-target-propagation@" + "0" * 40
    nb = notebook_editions.colab_notebook(ROOT / "book" / "first-look.md", req, gtp.__version__)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = code[0]
    assert first.metadata["tags"] == ["colab-setup"]
    assert req in first.source and "enable_custom_widget_manager" in first.source
    assert f'installed != "{gtp.__version__}"' in first.source
    # The chapter follows: title first, then the version check (kept though hidden) ...
    assert nb.cells[0].source.startswith("# A first look")
    assert "gtp.check_version" in code[1].source
    # ... without its other hidden cells (the build's checks).
    assert not any("remove-cell" in c.metadata.get("tags", []) for c in code[2:])
    assert not any("assert " in c.source for c in code)
    assert "jupytext" not in nb.metadata
    # Where this version of gtp is installed (here) the cell does nothing: no pip call.
    calls = []
    import subprocess
    run, subprocess.run = subprocess.run, lambda *a, **k: calls.append(a)
    try:
        exec(compile(first.source, "colab-setup", "exec"), {})
        assert calls == []
        # Another version installed: the pinned requirement is installed.
        other = first.source.replace(f'"{gtp.__version__}"', '"0.0.0-other"')
        exec(compile(other, "colab-setup", "exec"), {})
    finally:
        subprocess.run = run
    assert len(calls) == 1 and calls[0][0][-1] == req


def test_portable_keeps_outputs_and_the_version_check_and_is_idempotent():
    v4 = nbformat.v4
    check = v4.new_code_cell('import gtp\ngtp.check_version("9.9")', metadata={"tags": ["remove-cell"]})
    shown = v4.new_code_cell("print(1)", outputs=[v4.new_output("stream", text="1\n")])
    hidden = v4.new_code_cell("assert x == 1", metadata={"tags": ["remove-cell"]})
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# T"), check, shown, hidden,
                                v4.new_code_cell("y = 2", metadata={"tags": ["remove-input"]})])
    out = notebook_editions.portable(nb, "gtp==9.9", "9.9")
    assert [c.source.split("\n")[0] for c in out.cells[2:]] == ["import gtp", "print(1)", "y = 2"]
    assert out.cells[1].metadata["tags"] == ["colab-setup"] and "gtp==9.9" in out.cells[1].source
    assert out.cells[3].outputs[0].text == "1\n"
    assert len(notebook_editions.portable(out, "gtp==9.9", "9.9").cells) == 5    # a second pass: no change


def test_requirement_pins_the_built_commit():
    sha = notebook_editions.built_commit(ROOT)
    assert sha is None or len(sha) == 40       # None: a copy of the book outside git
    assert notebook_editions.gtp_requirement("https://x.org/r", "1.2.3") == "gtp @ git+https://x.org/r@v1.2.3"


def test_copy_mathjax(tmp_path):
    dest = book_site.copy_mathjax(tmp_path)
    assert (dest / "tex-mml-chtml.js").stat().st_size > 100_000
    assert 'VERSION="3.' in (dest / "tex-mml-chtml.js").read_text()
    fonts = list((dest / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) > 10
    assert (dest / "input" / "tex" / "extensions").is_dir()


def test_course_plan_is_checked_and_timed():
    known = {"a": 30, "b": 45, "c": 20}
    plan = course_path.parse_plan(
        "- {title: One, contact: 90, class: [a, b], homework: [c]}\n"
        "- {title: Two, contact: 60, class: [c]}", known)
    rows = course_path.plan_rows(plan, known)
    assert [(r[1], r[2], r[3]) for r in rows] == [(75, 20, 15), (20, 0, 40)]
    for text, match in [("- {title: X, contact: 60, class: [zz]}", "lists 'zz'"),
                        ("- {title: X, class: [a]}", "has no 'contact'"),
                        ("just text", "YAML list")]:
        with pytest.raises(ValueError, match=match):
            course_path.parse_plan(text, known)


def test_course_page_plans_every_chapter_once():
    import re
    text = (ROOT / "book" / "course.md").read_text()
    body = text.split("```{course-plan}", 1)[1].split("```", 1)[0]
    plan = course_path.parse_plan(body, {d[:-3] for d in notebook_chapters()})
    planned = [d for s in plan for d in s["class"] + s.get("homework", [])]
    assert sorted(planned) == sorted(d[:-3] for d in notebook_chapters())
    assert len(plan) == 4 and sum(s["contact"] for s in plan) == 480     # two weeks, 2 x 2 h
    assert re.search(r"^- book/course$", "\n".join(
        ln.strip().replace("file: ", "") for ln in (ROOT / "_toc.yml").read_text().split("\n")), re.M)


class _Config:
    html_theme_options = {"repository_url": "https://github.com/org/repo", "repository_branch": "main",
                          "launch_buttons": {"colab_url": "https://colab.research.google.com"}}
    gtp_colab_branch = "gh-pages"
    gtp_site_url = ""
    html_baseurl = ""


def test_buttons_open_the_student_edition():
    from urllib.parse import parse_qs, unquote, urlparse
    cfg = _Config()
    assert notebook_editions.colab_url(cfg, "book/workshop") == \
        "https://colab.research.google.com/github/org/repo/blob/gh-pages/_colab/book/workshop.ipynb"
    assert notebook_editions.colab_url(cfg, "book/workshop", "teacher").endswith("/_teacher/book/workshop.ipynb")
    binder = notebook_editions.gitpuller_url("https://mybinder.org", cfg, "book/workshop", binder=True)
    assert binder.startswith("https://mybinder.org/v2/gh/org/repo/main?urlpath=git-pull")
    inner = parse_qs(urlparse(unquote(binder.split("urlpath=", 1)[1])).query)
    assert inner == {"repo": ["https://github.com/org/repo"], "branch": ["gh-pages"],
                     "targetpath": ["gtp-book"], "urlpath": ["lab/tree/gtp-book/_colab/book/workshop.ipynb"]}
    hub = notebook_editions.gitpuller_url("https://hub.example.org/", cfg, "book/x")
    assert hub.startswith("https://hub.example.org/hub/user-redirect/git-pull?repo=")
    assert notebook_editions.site_url(cfg) == "https://org.github.io/repo/"
