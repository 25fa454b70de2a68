"""Fixtures for the browser tests: Debian's Chromium, a tab, screenshots, free ports.

Run with ``pytest tests/e2e -p no:homeassistant``: these tests start real programs
(Chromium, the edge driver, Home Assistant) and own their sockets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import os
from pathlib import Path
import shutil
import subprocess

from cdp import Browser, Page
import pytest

ARTIFACTS = Path(__file__).parent / "artifacts"
"""Screenshots and logs of the last run (gitignored)."""


def _install_chromium() -> str:
    """Return the browser to drive: $EZLOCK_CHROMIUM, else Debian's chromium package.

    The package is installed with apt-get (as root, or with passwordless sudo) when it
    is missing. Ubuntu's ``chromium`` is a snap wrapper that cannot run here: on
    Ubuntu, point EZLOCK_CHROMIUM at a Chrome or Chromium binary instead.
    """
    if chosen := os.environ.get("EZLOCK_CHROMIUM"):
        return chosen
    if found := shutil.which("chromium"):
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        [*sudo, "apt-get", "update", "-qq"],
        [*sudo, "apt-get", "install", "-y", "-qq", "chromium"],
    ):
        completed = subprocess.run(argv, env=env, capture_output=True, check=False)
        if completed.returncode != 0:
            pytest.fail(
                f"cannot install chromium ({' '.join(argv)}): "
                f"{completed.stderr.decode(errors='replace')[-2000:]}"
            )
    if found := shutil.which("chromium"):
        return found
    pytest.fail("apt-get installed chromium but it is not on PATH")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Give the path of the browser, installing Debian's Chromium on first use."""
    return _install_chromium()


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
