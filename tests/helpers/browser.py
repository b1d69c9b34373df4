"""Driving the dashboards in a real headless browser: Debian's Chromium through Playwright
(never a downloaded browser), the user the browser tests log in as, and the waits and
screenshots they share."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PAGE_MS = 60_000
# An approver: may read transaction-level data (downloads) and act on cases.
USER = "alice"

# Every browser test is slow, and skipped (saying why) where Chromium is not installed.
BROWSER_TESTS = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium is absent (apt-get install chromium)"),
]


def keep_screenshots(shots: Path) -> int:
    """Copy the screenshots to $POSAUDIT_SCREENSHOTS when it names a folder; how many."""
    target = os.environ.get("POSAUDIT_SCREENSHOTS")
    if target:
        shutil.copytree(shots, Path(target), dirs_exist_ok=True)
    print(f"screenshots: {shots}")
    return len(list(shots.glob("*.png")))


def navigate(page: Any, title: str) -> None:
    """Open a page through the sidebar's page list (a reload would end a password login)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role(
        "link", name=title, exact=True).click()


def settle(page: Any) -> None:
    """Wait until Streamlit has finished the run the last action started."""
    status = page.locator('[data-testid="stStatusWidget"]')
    deadline = time.monotonic() + PAGE_MS / 1000
    while status.count() and time.monotonic() < deadline:
        time.sleep(0.2)
