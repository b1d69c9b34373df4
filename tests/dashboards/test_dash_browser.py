"""End to end in a real headless browser: Debian's Chromium driven by Playwright against
`posaudit dashboard` on the session's warehouse. Every page opens, a sidebar filter lands in
the URL, an exception drills down, a CSV downloads; screenshots go to a temporary folder and,
when $POSAUDIT_SCREENSHOTS names a folder, are copied there."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import POSAUDIT, ROOT, Built

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PAGES = {"": "Overview", "error-rates": "Error rates", "root-cause": "Root cause",
         "loss": "Loss assessment", "reconciliation": "Reconciliation",
         "exceptions": "Exceptions explorer", "data-quality": "Data quality", "sql": "SQL"}
START_SECONDS = 60
PAGE_MS = 60_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium is absent (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(built: Built, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "dashboard.log").open("w")
    proc = subprocess.Popen([str(POSAUDIT), "dashboard", "--warehouse", str(built.warehouse),
                             "--port", str(port)], cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("the dashboard did not start:\n"
                            + (tmp_path / "dashboard.log").read_text()[-3000:])
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_every_page_filter_drill_down_and_download_in_a_browser(
        server: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=ARGS,
            headless=True, accept_downloads=True, viewport={"width": 1500, "height": 1100})
        try:
            page = context.new_page()
            page.set_default_timeout(PAGE_MS)

            def open_page(path: str, title: str) -> None:
                page.goto(f"{server}/{path}")
                page.get_by_role("heading", name=title, exact=True).wait_for()
                page.wait_for_load_state("networkidle")
                _settle(page)
                assert page.locator('[data-testid="stException"]').count() == 0, path
                page.screenshot(path=str(shots / f"{path or 'overview'}.png"), full_page=True)

            for path, title in PAGES.items():
                open_page(path, title)

            # A sidebar filter lands in the URL.
            open_page("", "Overview")
            sidebar = page.locator('[data-testid="stSidebar"]')
            box = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Acquirer")
            box.locator("input").click()
            page.get_by_role("option").first.click()
            page.wait_for_url(lambda u: "acquirer=" in u)
            _settle(page)
            page.screenshot(path=str(shots / "overview-filtered.png"), full_page=True)

            # Drill into an exception (filters travel with the session's URL).
            page.goto(f"{server}/exceptions")
            page.get_by_role("heading", name="Exceptions explorer", exact=True).wait_for()
            _settle(page)
            picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="Exception")
            picker.locator("input").click()
            page.get_by_role("option").nth(1).click()
            page.get_by_text("Terminal side (fct_transactions)").wait_for()
            page.wait_for_url(lambda u: "exception=" in u)
            _settle(page)
            assert page.get_by_text("Case history").count() >= 1
            page.screenshot(path=str(shots / "exception-detail.png"), full_page=True)

            # Download the exceptions table as CSV.
            with page.expect_download() as info:
                page.locator('[data-testid="stDownloadButton"]').filter(
                    has_text="CSV").first.click()
            saved = tmp_path / "exceptions.csv"
            info.value.save_as(saved)
            header = saved.read_text(encoding="utf-8-sig").splitlines()[0]
            assert header.startswith("exception_id,exception_type")
        finally:
            context.close()
    target = os.environ.get("POSAUDIT_SCREENSHOTS")
    if target:
        shutil.copytree(shots, Path(target), dirs_exist_ok=True)
    print(f"screenshots: {shots}")
    assert len(list(shots.glob("*.png"))) == len(PAGES) + 2


def _settle(page: object) -> None:
    """Wait until Streamlit has finished the run the last action started."""
    status = page.locator('[data-testid="stStatusWidget"]')  # type: ignore[attr-defined]
    deadline = time.monotonic() + PAGE_MS / 1000
    while status.count() and time.monotonic() < deadline:
        time.sleep(0.2)
