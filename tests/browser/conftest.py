"""The browser tier: headless Chromium from the distribution's packages, driven by Playwright for Python
(its own browser download is unreachable here). `make test-browser` installs Chromium when it is missing."""

from pathlib import Path

import pytest

from orchestration.lib.settings import PROJECT_ROOT
from tools.dagster_ui import CHROMIUM, chromium

# Screenshots, for a person to look at after the tier ran (ignored by git).
OUTPUT = PROJECT_ROOT / "test-output" / "browser"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test-browser` installs it (apt-get install chromium)")
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def screenshots() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
