"""Shared fixture of the browser tests: one headless chromium for the whole session."""
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import helpers  # noqa: E402


@pytest.fixture(scope="session")
def browser():
    found = helpers.find_browser()
    if found is None:
        pytest.skip("no browser: install Debian's `chromium` and `chromium-driver` "
                    "(apt-get install chromium chromium-driver; .ci/run does it as root)")
    profile = helpers.profile_dir()
    driver = helpers.make_driver(*found, profile)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
