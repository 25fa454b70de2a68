"""Fixtures for the browser tests: the system Chromium, a tab, screenshots, free ports.

Run with ``pytest tests/e2e -p no:homeassistant``: these tests start real programs
(Chromium, the edge driver, Home Assistant) and own their sockets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import os
from pathlib import Path
import shutil

import pytest

from .cdp import Browser, Page

ARTIFACTS = Path(__file__).parent / "artifacts"
"""Screenshots and logs of the last run (gitignored)."""


@pytest.fixture(scope="session")
def chromium() -> str:
    """Give the browser to drive: $EZLOCK_CHROMIUM, else Debian's chromium package.

    ``scripts/setup --e2e`` (which ``scripts/test`` runs) installs the package. Ubuntu's
    ``chromium`` is a snap wrapper that cannot run here: on Ubuntu, point
    EZLOCK_CHROMIUM at a Chrome or Chromium binary instead.
    """
    if chosen := os.environ.get("EZLOCK_CHROMIUM"):
        return chosen
    if found := shutil.which("chromium"):
        return found
    pytest.fail("no chromium on PATH: run scripts/setup --e2e or set EZLOCK_CHROMIUM")


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Give each test a clean directory for its screenshots and logs."""
    path: Path = ARTIFACTS / str(request.node.name)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture
async def page(chromium: str, tmp_path: Path, artifacts: Path) -> AsyncIterator[Page]:
    """Open a tab in a fresh headless Chromium; save its last view as ``final.png``."""
    browser = await Browser.launch(
        chromium, tmp_path / "chromium-profile", artifacts / "chromium.log"
    )
    try:
        tab = await browser.new_page()
        yield tab
        await tab.screenshot(artifacts / "final.png")
        (artifacts / "console.log").write_text("\n".join(tab.console) + "\n")
    finally:
        await browser.close()
