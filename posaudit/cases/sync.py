"""Cases from detected exceptions: one OPEN case per definite exception that has none."""

from __future__ import annotations

from pathlib import Path

import duckdb

from posaudit.cases.lifecycle import SYSTEM, insert_case, money, new_case_id
from posaudit.cases.store import Store

QUERY = """
select exception_id, exception_type, merchant_id, terminal_id, trace_no, order_no,
       cast(business_date as varchar) as business_date, cast(amount as varchar) as amount,
       cast(exposure_amount as varchar) as exposure_amount, exposure_direction, root_cause
from fct_exceptions
order by business_date, exception_id
"""


def sync_from_warehouse(store: Store, snapshot_path: Path) -> list[str]:
    """Open a case for every exception in the snapshot that has none; returns the new case ids.

    Idempotent: the store's unique index on exception_id and the check below, made inside the
    one write transaction, keep a second run (or two at once) from opening a case twice.
    """
    with duckdb.connect(str(snapshot_path), read_only=True) as con:
        cur = con.execute(QUERY)
        names = [d[0] for d in cur.description]
        exceptions = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    opened: list[str] = []
    with store.write() as conn:
        have = {r[0] for r in conn.execute(
            "select exception_id from cases where exception_id is not null")}
        for exc in exceptions:
            if exc["exception_id"] in have:
                continue
            case_id = new_case_id()
            title = " ".join(str(exc[k]) for k in ("exception_type", "terminal_id", "trace_no")
                             if exc[k] is not None)
            amount = exc["exposure_amount"] or exc["amount"]
            insert_case(conn, case_id, SYSTEM, title=title, amount=money(amount),
                        currency="CNY",
                        exception_id=exc["exception_id"], report_id=None,
                        reason="detected by the refresh", payload={"exception": exc})
            opened.append(case_id)
    return opened
