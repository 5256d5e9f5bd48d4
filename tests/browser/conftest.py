"""Shared fixture of the browser tests: one headless chromium for the whole session."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import helpers  # noqa: E402


@pytest.fixture(scope="session")
def browser():
    with helpers.browser_or_skip() as driver:
        yield driver


@pytest.fixture(scope="module")
def site():
    """The built site served on loopback (the page tests of test_pages and test_reading)."""
    if not helpers.BUILT:
        pytest.skip(helpers.NOT_BUILT)
    s = helpers.Site()
    yield s
    s.close()
