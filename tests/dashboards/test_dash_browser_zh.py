"""Every page in Chinese, in a real headless browser (Chromium, with the Noto CJK fonts that
`make test` installs): each page settles, is saved as a screenshot, and shows no English word
other than identifiers, numbers, dates and the few names that stay as they are
(tests/helpers/visible_text.py)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from posaudit.dashboards import display, i18n
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
from tests.helpers.visible_text import visible_english

pytestmark = BROWSER_TESTS

# url path -> the page's title key.
PAGES = {"": "page.overview", "error-rates": "page.error_rates", "root-cause": "page.root_cause",
         "loss": "page.loss", "reconciliation": "page.reconciliation",
         "exceptions": "page.exceptions", "cases": "page.cases", "report": "page.report",
         "data-quality": "page.data_quality", "sql": "page.sql"}


def test_every_page_in_chinese_shows_no_english_word(server: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    shots = tmp_path / "screenshots-zh"
    shots.mkdir()
    # Names the pages show as they are: the logged-in user and the merchant's time zone.
    allowed = [USER, display.zone_label(display.merchant_zone())]
    found: dict[str, list[str]] = {}
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=ARGS,
            headless=True, viewport={"width": 1500, "height": 1100}, locale="zh-CN")
        try:
            page = context.new_page()
            page.set_default_timeout(PAGE_MS)
            page.goto(f"{server}/?lang=zh")
            page.get_by_role("heading", name=i18n.t("zh", "gate.title"), exact=True).wait_for()
            settle(page)
            found["login"] = visible_english(page, allowed)
            page.screenshot(path=str(shots / "login.png"), full_page=True)
            page.get_by_label(i18n.t("zh", "auth.name")).fill(USER)
            page.get_by_label(i18n.t("zh", "auth.password"), exact=True).fill(password(USER))
            page.get_by_role("button", name=i18n.t("zh", "auth.login")).click()
            page.get_by_role("heading", name=i18n.t("zh", "page.overview"), exact=True).wait_for()
            for path, key in PAGES.items():
                title = i18n.t("zh", key)
                navigate(page, title)
                page.wait_for_url(lambda u, p=path: urlsplit(u).path.strip("/") == p)
                page.get_by_role("heading", name=title, exact=True).wait_for()
                page.wait_for_load_state("networkidle")
                settle(page)
                assert page.locator('[data-testid="stException"]').count() == 0, path
                page.screenshot(path=str(shots / f"zh-{path or 'overview'}.png"),
                                full_page=True)
                found[path or "overview"] = visible_english(page, allowed)
            # A type chosen in the sidebar reads as its term; the link keeps the code.
            navigate(page, i18n.t("zh", "page.overview"))
            page.get_by_role("heading", name=i18n.t("zh", "page.overview"), exact=True).wait_for()
            settle(page)
            box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
                has_text=i18n.t("zh", "filter.type"))
            # Typed and chosen by key: the open list is drawn again while Streamlit runs, so a
            # click on one of its options can find it gone, again and again on a busy machine.
            box.locator("input").click()
            page.keyboard.type(i18n.t("zh", "code.exception_type.DUPLICATE_CHARGE"))
            page.get_by_role("option", name=i18n.t("zh", "code.exception_type.DUPLICATE_CHARGE"),
                             exact=True).wait_for()
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")
            page.wait_for_url(lambda u: "type=DUPLICATE_CHARGE" in u)
            settle(page)
            page.screenshot(path=str(shots / "zh-overview-filtered.png"), full_page=True)
            found["overview, filtered"] = visible_english(page, allowed)
        finally:
            context.close()
    assert keep_screenshots(shots) == len(PAGES) + 2
    english = {page: sorted(set(words)) for page, words in found.items() if words}
    assert not english, "English on the Chinese pages:\n" + "\n".join(
        f"  {page}: {', '.join(words)}" for page, words in english.items())
