"""First-render seconds of every dashboard page, rendered with Streamlit's AppTest against a
warehouse's published snapshot.

    python benchmarks/dashboard_pages.py --warehouse W [--repeat 3]

For each page: a new session with every cached query dropped (what the first visitor after a
publish sees: the snapshot connection is opened once, before the pages, and reported apart),
then a second render of the same page (cached). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from posaudit.dashboards.connection import Snapshot

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = {
    "overview": "views/overview.py", "error_rates": "views/error_rates.py",
    "root_cause": "views/root_cause.py", "loss": "views/loss.py",
    "reconciliation": "views/reconciliation.py", "exceptions": "views/exceptions.py",
    "data_quality": "views/data_quality.py", "sql": "views/sql.py",
    "cases": "views/cases.py", "report": "views/report.py",
}
# Pages opened on one item through their URL (as a link from another page does): the slowest
# exception type to lay out in full, and the Chinese overview.
ITEM_PAGES = {"exception_detail": ("exceptions", "exception"), "overview_zh": ("overview", "lang")}
TITLES = {"loss": "loss"}
BUDGET_SECONDS = 1.0


def render(page: str, *, cold: bool, params: dict[str, str] | None = None) -> float:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=300)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    if page != "overview":  # AppTest switches pages only in a session that has run
        at.run()
        at.switch_page(PAGES[page])
    if cold:
        st.cache_data.clear()
    began = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - began
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    from posaudit.dashboards import i18n

    lang = (params or {}).get("lang", "en")
    if at.title[0].value != i18n.t(lang, f"page.{TITLES.get(page, page)}"):
        raise RuntimeError(f"{page}: rendered {at.title[0].value!r} instead")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--repeat", type=int, default=1, help="cold renders per page (median)")
    args = parser.parse_args(argv)
    os.environ["POSAUDIT_WAREHOUSE"] = str(Path(args.warehouse).resolve())
    # The pages as they render once admitted: a login changes who sees them, not what they query.
    os.environ["POSAUDIT_DASHBOARD_LOGIN"] = "optional"

    from posaudit.dashboards import connection

    snap = connection.current_snapshot()
    began = time.perf_counter()
    connection.run("select 1", snap=snap)
    connect = time.perf_counter() - began
    first: dict[str, float] = {}
    cached: dict[str, float] = {}
    for page in PAGES:
        runs = []
        for _ in range(max(args.repeat, 1)):
            runs.append(render(page, cold=True))
        first[page] = round(statistics.median(runs), 3)
        cached[page] = round(render(page, cold=False), 3)
    item_values = {"exception": _slowest_exception(snap), "lang": "zh"}
    for name, (page, param) in ITEM_PAGES.items():
        params = {param: item_values[param]}
        runs = [render(page, cold=True, params=params) for _ in range(max(args.repeat, 1))]
        first[name] = round(statistics.median(runs), 3)
        cached[name] = round(render(page, cold=False, params=params), 3)
    print(json.dumps({
        "warehouse": os.environ["POSAUDIT_WAREHOUSE"], "snapshot": snap.snapshot_id,
        "connect_seconds": round(connect, 3), "first_render_seconds": first,
        "cached_render_seconds": cached, "budget_seconds": BUDGET_SECONDS,
        "over_budget": sorted(p for p, s in first.items() if s > BUDGET_SECONDS),
    }, indent=2))
    return 0


def _slowest_exception(snap: Snapshot) -> str:
    """A duplicate charge: its file shows two journal lines, their settlement lines, the bank
    side and the terminal's events, the most lookups of any type."""
    from posaudit.dashboards import connection

    found = connection.run("select exception_id from main.fct_exceptions where exception_type "
                           "= 'DUPLICATE_CHARGE' order by exposure_amount desc limit 1",
                           snap=snap)
    return str(found.iloc[0]["exception_id"])


if __name__ == "__main__":
    raise SystemExit(main())
