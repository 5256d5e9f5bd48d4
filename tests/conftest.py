"""Plain ``pytest`` from the repository's root runs every test that ``make test`` runs with
pytest; the browser tests need the built book, and say so instead of failing without it."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("GTP_BOOK_BUILD", ROOT / "_build")) / "html" / "index.html"


def pytest_collection_modifyitems(config, items):
    if SITE.exists():
        return
    skip = pytest.mark.skip(reason=f"the built book is missing ({SITE.parent}): run `make book` "
                                   f"(or `make test`, which builds it before the browser tests)")
    for item in items:
        if Path(str(item.fspath)).parent.name == "browser":
            item.add_marker(skip)
