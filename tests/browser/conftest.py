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
