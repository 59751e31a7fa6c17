"""The browser tier: headless Chromium from the distribution's packages, driven by Playwright for Python
(its own browser download is unreachable here). `make test-browser` installs Chromium when it is missing."""

import os
from pathlib import Path

import pytest

from orchestration.lib.settings import PROJECT_ROOT

CHROMIUM = Path(os.environ.get("LIFECYCLE_CHROMIUM", "/usr/bin/chromium"))
# As root in a sandbox without a screen or a network: no sandbox, no GPU, and none of Chromium's own
# background connections, which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots, for a person to look at after the tier ran (ignored by git).
OUTPUT = PROJECT_ROOT / "test-output" / "browser"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test-browser` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
