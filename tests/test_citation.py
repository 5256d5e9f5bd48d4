"""Licence and citation: LICENSE (code, MIT), LICENSE-text (text and figures, CC BY 4.0),
CITATION.cff, and the "Cite this book" BibTeX made from it (_ext/citation.py)."""
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import citation  # noqa: E402


def test_licence_files_name_their_licences():
    code, text = (ROOT / "LICENSE").read_text(), (ROOT / "LICENSE-text").read_text()
    assert code.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in code
    assert "Attribution 4.0 International Public License" in text
    assert "Section 8 -- Interpretation." in text       # the whole legal code, not a summary
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^license = "MIT"', pyproject, re.M)


def test_citation_file_matches_the_package():
    import gtp
    cff = citation.read_cff(ROOT / "CITATION.cff")
    assert str(cff["version"]) == gtp.__version__
    assert cff["license"] == ["MIT", "CC-BY-4.0"]
    assert cff["repository-code"] in (ROOT / "_config.yml").read_text()


def test_bibtex_parses_and_carries_the_fields():
    from pybtex.database import parse_string
    cff = citation.read_cff(ROOT / "CITATION.cff")
    bib = parse_string(citation.bibtex(cff), "bibtex")
    book, paper = bib.entries.values()
    assert book.type == "misc" and book.fields["title"] == cff["title"]
    assert book.fields["version"] == str(cff["version"]) and cff["url"] in book.fields["howpublished"]
    assert [str(p) for p in book.persons["author"]] == ["{The GTP book contributors}"]
    assert paper.type == "article" and paper.fields["year"] == "2018"
    assert [p.last_names for p in paper.persons["author"]] == [["Farias"], ["Maziero"]]
    # the same paper as the book's bibliography
    ref = parse_string((ROOT / "book" / "references.bib").read_text(), "bibtex").entries["farias2018gtp"]
    assert paper.fields["title"] == ref.fields["title"]


def test_a_citation_file_without_a_field_is_an_error(tmp_path):
    bad = tmp_path / "CITATION.cff"
    bad.write_text("cff-version: 1.2.0\ntitle: x\n")
    with pytest.raises(ValueError, match="lacks authors, version"):
        citation.read_cff(bad)
