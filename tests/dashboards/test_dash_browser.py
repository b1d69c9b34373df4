"""End to end in a real headless browser: Debian's Chromium driven by Playwright against
`posaudit dashboard` on the session's snapshot (with a case store and users of its own, so
every page needs a login). The first page is the login form with no data; once logged in,
every page opens, a sidebar filter lands in the URL, an exception drills down, a CSV
downloads, and the user files an error report and sees its case; screenshots go to a temporary
folder and, when $POSAUDIT_SCREENSHOTS names a folder, are copied there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from posaudit.cases import lifecycle
from posaudit.cases.store import Store, cases_path
from tests.helpers.browser import (
    ARGS,
    BROWSER_TESTS,
    CHROMIUM,
    PAGE_MS,
    USER,
    keep_screenshots,
    navigate,
    settle,
)
from tests.helpers.dashboard_app import password

PAGES = {"": "Overview", "error-rates": "Error rates", "root-cause": "Root cause",
         "loss": "Loss assessment", "reconciliation": "Reconciliation",
         "exceptions": "Exceptions explorer", "cases": "Cases", "report": "Report an error",
         "data-quality": "Data quality", "sql": "SQL"}
pytestmark = BROWSER_TESTS


def test_every_page_filter_drill_down_download_and_a_report_in_a_browser(
        server: str, case_warehouse: Path, tmp_path: Path) -> None:
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

            # Not logged in: the login form, and nothing of the warehouse.
            page.goto(f"{server}/exceptions")
            page.get_by_role("heading", name="posaudit: log in", exact=True).wait_for()
            settle(page)
            assert page.locator('[data-testid="stDataFrame"]').count() == 0
            assert page.locator('[data-testid="stMetric"]').count() == 0
            assert page.get_by_text("Snapshot ").count() == 0
            page.screenshot(path=str(shots / "login.png"), full_page=True)
            page.get_by_label("User name").fill(USER)
            page.get_by_label("Password", exact=True).fill(password(USER))
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("heading", name="Exceptions explorer", exact=True).wait_for()
            page.get_by_text(f"Logged in as {USER} (approver)").wait_for()

            def open_page(path: str, title: str) -> None:
                # Through the page list: a password login lasts as long as the browser
                # tab's session, which reloading the page would end.
                navigate(page, title)
                page.wait_for_url(lambda u: urlsplit(u).path.strip("/") == path)
                page.get_by_role("heading", name=title, exact=True).wait_for()
                page.wait_for_load_state("networkidle")
                settle(page)
                assert page.locator('[data-testid="stException"]').count() == 0, path
                page.screenshot(path=str(shots / f"{path or 'overview'}.png"), full_page=True)

            for path, title in PAGES.items():
                open_page(path, title)

            # A sidebar filter lands in the URL.
            open_page("", "Overview")
            sidebar = page.locator('[data-testid="stSidebar"]')
            box = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Acquirer")
            box.locator("input").click()
            # Near the foot of the sidebar a click may only focus the box: open it by key,
            # and choose by key too. The open list is drawn again while Streamlit runs, so a
            # click on one of its options can find it gone, again and again on a busy machine.
            page.keyboard.press("ArrowDown")
            page.get_by_role("option").first.wait_for()
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")  # the open list hides the rest of the page
            page.wait_for_url(lambda u: "acquirer=" in u)
            settle(page)
            page.screenshot(path=str(shots / "overview-filtered.png"), full_page=True)

            # Drill into an exception (filters travel with the session's URL).
            navigate(page, "Exceptions explorer")
            page.get_by_role("heading", name="Exceptions explorer", exact=True).wait_for()
            settle(page)
            picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="Exception")
            picker.locator("input").click()
            page.get_by_role("option").nth(1).click()
            page.get_by_text("Terminal side (fct_transactions)").wait_for()
            page.wait_for_url(lambda u: "exception=" in u)
            settle(page)
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

            file_a_report_and_see_its_case(page, case_warehouse, shots)
        finally:
            context.close()
    assert keep_screenshots(shots) == len(PAGES) + 6


def file_a_report_and_see_its_case(page: object, warehouse: Path, shots: Path) -> None:
    """As the logged-in user, fill the error report form field by field, file it, see that it
    joined the transaction's case, open that case."""
    p: Any = page
    navigate(p, "Report an error")
    p.get_by_role("heading", name="Report an error", exact=True).wait_for()
    settle(p)
    p.get_by_text(f"Logged in as {USER} (approver)").wait_for()
    p.screenshot(path=str(shots / "report-logged-in.png"), full_page=True)

    terminal = _a_terminal(warehouse)
    form = p.locator('[data-testid="stForm"]')
    form.get_by_label("Terminal number").fill(terminal)
    form.get_by_label("Amount (CNY)").fill("52.45")
    form.get_by_label("Voucher number (6 digits, on the receipt)").fill("373030")
    # Date and time are segmented fields: typing fills one segment after the other.
    form.get_by_role("spinbutton", name="year, Transaction date").click()
    p.keyboard.type("20261001")
    form.get_by_role("spinbutton", name="hour, Transaction time").click()
    p.keyboard.type("1142")
    form.locator('[data-testid="stSelectbox"]').filter(has_text="What kind of error").locator(
        "input").click()
    p.get_by_role("option", name="Customer charged twice").click()
    form.get_by_label("What happened").fill("The customer was charged twice for one sale.")
    form.get_by_role("button", name="File the report").click()
    # The voucher and amount are those of a charge the warehouse already holds, with its case:
    # the report joins that case rather than opening a second one, and says so.
    filed = p.get_by_text(re.compile(
        r"Report R-\w+ filed\. This transaction already has case C-\w+ \(\w[\w ]*\)"))
    filed.wait_for()
    found = re.search(r"Report (R-\w+) filed\. This transaction already has case (C-\w+)",
                      filed.inner_text())
    assert found, filed.inner_text()
    report_id, case_id = found.groups()
    settle(p)
    p.screenshot(path=str(shots / "report-filed.png"), full_page=True)

    p.get_by_role("button", name="Open the case").click()
    p.get_by_role("heading", name="Cases", exact=True).wait_for()
    p.wait_for_url(lambda u: f"case={case_id}" in u)
    p.get_by_text("Act on this case").wait_for()
    settle(p)
    assert p.locator('[data-testid="stException"]').count() == 0
    assert p.get_by_text("Recorded in the trail").count() == 0
    p.screenshot(path=str(shots / "report-case.png"), full_page=True)
    last = lifecycle.case_trail(Store(cases_path(warehouse)), case_id)[-1]
    assert (last["action"], last["reference"], last["actor"]) == ("link", report_id, USER)


def _a_terminal(warehouse: Path) -> str:
    cases = lifecycle.list_cases(Store(cases_path(warehouse)))
    titles = [c["title"].split() for c in cases if c["title"].startswith("DUPLICATE_CHARGE ")]
    return str(titles[0][1])
