"""Completeness before exceptions, end to end: a landing zone missing one merchant-day journal,
one wallet bill day and one bank statement is refreshed with a real dbt build. What the missing
files would have decided waits (pending, listed in mart_pending_sources and alerted when
overdue) instead of turning into exceptions; putting the files back and refreshing matches it
and every type scores 1.000 again.

The zone is the session's generated one (tests/conftest.py); the files to remove are chosen on
its fully built warehouse (the ``built`` fixture), where everything matched.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from posaudit.pipeline import build_window
from posaudit.pipeline.warehouse import Warehouse
from posaudit.tools.evaluate import evaluate
from tests.helpers.cli import Built, run_cli
from tests.helpers.dashboard_app import APP, PAGES, release_connections
from tests.helpers.rows import one_row, scalar

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Gaps:
    """The files taken out of the zone and what the full build had decided about them."""

    journal_file: str
    journal_merchant: str
    journal_day: date
    journal_lines: int  # settlement lines matched to that journal in the full build
    journal_amount: float
    bill_file: str
    bill_merchant: str
    bill_settlement_day: date  # the bill's date + 1: when its lines settle
    bill_sales: int  # expected sales the full build matched to that bill
    bank_file: str
    bank_merchants: tuple[str, ...]
    bank_days: tuple[date, ...]


@dataclass(frozen=True)
class Gapped:
    gaps: Gaps
    landing: Path
    held: Path
    warehouse: Path
    exit_code: int


def _snapshot(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(Warehouse.at(warehouse).current_snapshot()), read_only=True)


def _labels(landing: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((landing / "labels.csv").open(encoding="utf-8")))


def _choose(built: Built) -> Gaps:
    labels = _labels(built.landing)
    with _snapshot(built.warehouse) as con:
        days = [d for (d,) in con.execute(
            "select distinct business_date from fct_transactions order by 1").fetchall()]
        owner = dict(con.execute(
            "select distinct terminal_id, merchant_id from fct_transactions").fetchall())
        # A merchant-day journal inside the history that holds no labelled
        # UNMATCHED_SETTLEMENT itself, on the day where other merchants hold the most.
        labelled: dict[date, set[str]] = {}
        for r in labels:
            if r["exception_type"] == "UNMATCHED_SETTLEMENT":
                labelled.setdefault(date.fromisoformat(r["business_date"]), set()).add(
                    owner.get(r["terminal_id"], r["merchant_id"]))
        journal = None
        for day in sorted(days[2:-2], key=lambda d: (-len(labelled.get(d, ())), d)):
            candidates = con.execute("""
                select m.file_name, t.merchant_id, t.business_date, count(*) as lines,
                       sum(abs(l.gross_amount)) as amount
                from fct_settlement_lines as l
                join fct_transactions as t using (journal_line_id)
                join fct_file_manifest as m on m.file_id = t.file_id
                where m.folder = 'terminal' and t.business_date = ?
                group by all order by lines desc, m.file_name""", [day]).fetchall()
            free = [c for c in candidates if c[1] not in labelled.get(day, set())]
            if labelled.get(day) and free:
                journal = free[0]
                break
        assert journal is not None, "no merchant-day fits"
        middle = journal[2]

        # The WeChat bill of the day after: its lines settle a day later still.
        bill = con.execute("""
            select m.file_name, l.merchant_id, min(l.settlement_date),
                   count(*) filter (where t.is_expected_in_settlement and t.txn_type = 'SALE')
            from fct_settlement_lines as l
            join fct_file_manifest as m on m.file_id = l.file_id
            left join fct_transactions as t on t.journal_line_id = l.journal_line_id
            where l.source_layout = 'wechat_bill' and l.business_date = ?
            group by all order by 4 desc limit 1""", [middle + timedelta(days=1)]).fetchone()
        assert bill is not None

        # A bank statement followed by a later one of the same merchants: a gap, not the end.
        bank = con.execute("""
            with files as (
                select b.file_id, min(b.txn_date) as first_day, max(b.txn_date) as last_day,
                       list(distinct b.payout_merchant_id order by b.payout_merchant_id)
                           filter (where b.payout_merchant_id is not null) as merchants
                from staging.stg_bank__statement_lines as b group by b.file_id
            )
            select m.file_name, f.merchants, f.first_day, f.last_day
            from files as f join fct_file_manifest as m using (file_id)
            where len(f.merchants) > 0 and exists (
                select 1 from files as g
                where g.first_day > f.last_day and list_has_any(g.merchants, f.merchants))
            order by f.first_day, m.file_name limit 1""").fetchone()
        assert bank is not None
    first, last = bank[2], bank[3]
    return Gaps(
        journal_file=journal[0], journal_merchant=journal[1], journal_day=journal[2],
        journal_lines=int(journal[3]), journal_amount=float(journal[4]),
        bill_file=bill[0], bill_merchant=bill[1], bill_settlement_day=bill[2],
        bill_sales=int(bill[3]), bank_file=bank[0], bank_merchants=tuple(bank[1]),
        bank_days=tuple(first + timedelta(days=i) for i in range((last - first).days + 1)),
    )


@pytest.fixture(scope="module")
def gapped(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Gapped:
    gaps = _choose(built)
    root = tmp_path_factory.mktemp("completeness")
    landing, held = root / "landing", root / "held"
    shutil.copytree(built.landing, landing)
    for name in (gaps.journal_file, gaps.bill_file, gaps.bank_file):  # paths in the zone
        target = held / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (landing / name).rename(target)
    warehouse = root / "wh"
    result = run_cli("refresh", "--landing", str(landing), "--warehouse", str(warehouse),
                     check=True)
    return Gapped(gaps, landing, held, warehouse, result.returncode)


@pytest.fixture
def con(gapped: Gapped) -> Iterator[duckdb.DuckDBPyConnection]:
    with _snapshot(gapped.warehouse) as c:
        yield c


def test_no_type_gains_a_false_positive(gapped: Gapped) -> None:
    scores = evaluate(Warehouse.at(gapped.warehouse), gapped.landing / "labels.csv")
    assert scores
    for s in scores:
        assert s.detected == s.matched, s  # every exception found is a labelled one


def test_unmatched_settlement_of_the_day_stays_at_the_labelled_count(
        gapped: Gapped, con: duckdb.DuckDBPyConnection) -> None:
    day = gapped.gaps.journal_day
    labelled = sum(1 for r in _labels(gapped.landing)
                   if r["exception_type"] == "UNMATCHED_SETTLEMENT"
                   and r["business_date"] == day.isoformat())
    found = scalar(con, "select count(*) from fct_exceptions where exception_type = "
                        "'UNMATCHED_SETTLEMENT' and business_date = ?", [day])
    assert labelled > 0
    assert found == labelled


def test_the_missing_journal_is_listed_with_its_lines_and_amount(
        gapped: Gapped, con: duckdb.DuckDBPyConnection) -> None:
    g = gapped.gaps
    waiting = one_row(
        con,
        "select count(*), sum(abs(gross_amount)) from fct_settlement_lines "
        "where match_status = 'PENDING_JOURNAL'")
    assert (waiting[0], float(waiting[1])) == (g.journal_lines, pytest.approx(g.journal_amount))
    rows = con.execute(
        "select merchant_id, pending_date, waiting_items, waiting_amount, is_gap, days_overdue "
        "from mart_pending_sources where source = 'JOURNAL'").fetchall()
    assert len(rows) == 1
    merchant, day, items, amount, is_gap, overdue = rows[0]
    assert (merchant, day, items) == (g.journal_merchant, g.journal_day, g.journal_lines)
    assert float(amount) == pytest.approx(g.journal_amount)
    assert is_gap and overdue > 2
    # Alerted once as overdue (alerts.yml: pending_overdue after 2 days).
    alerts = con.execute("select message from fct_alerts where rule = 'pending_overdue' and "
                         "message like 'terminal journal%'").fetchall()
    assert len(alerts) == 1
    assert g.journal_merchant in alerts[0][0] and g.journal_day.isoformat() in alerts[0][0]


def test_sales_of_the_missing_bill_day_stay_pending(
        gapped: Gapped, con: duckdb.DuckDBPyConnection) -> None:
    g = gapped.gaps
    statuses = dict(con.execute(
        "select match_status, count(*) from fct_transactions where acquirer = 'WECHATPAY' "
        "and settlement_merchant_id = ? and expected_settlement_date = ? "
        "and txn_type = 'SALE' group by 1", [g.bill_merchant, g.bill_settlement_day]).fetchall())
    assert "MISSING" not in statuses
    assert statuses.get("PENDING", 0) >= g.bill_sales > 0
    row = con.execute(
        "select waiting_items, is_gap from mart_pending_sources where source = 'SETTLEMENT' "
        "and item_kind = 'SALE' and acquirer = 'WECHATPAY' and merchant_id = ? "
        "and pending_date = ?", [g.bill_merchant, g.bill_settlement_day]).fetchone()
    assert row is not None and row[0] == statuses["PENDING"] and row[1]


def test_nets_of_the_missing_bank_days_wait_for_the_statement(
        gapped: Gapped, con: duckdb.DuckDBPyConnection) -> None:
    g = gapped.gaps
    merchants, days = list(g.bank_merchants), list(g.bank_days)
    missing = scalar(
        con,
        "select count(*) from fct_exceptions where exception_type = 'MISSING_DEPOSIT' "
        "and merchant_id in (select unnest(?::varchar[])) "
        "and business_date in (select unnest(?::date[]))", [merchants, days])
    assert missing == 0
    waiting = scalar(
        con,
        "select count(*) from mart_pending_sources where source = 'BANK' and is_gap "
        "and merchant_id in (select unnest(?::varchar[])) "
        "and pending_date in (select unnest(?::date[]))", [merchants, days])
    assert waiting > 0


def test_the_data_quality_page_shows_the_gaps(gapped: Gapped,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSAUDIT_WAREHOUSE", str(gapped.warehouse))
    try:
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        at.switch_page(PAGES["data_quality"][0])
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert "Waiting for source files" in [s.value for s in at.subheader]
        warnings = [w.value for w in at.warning]
        for source in ("Terminal journals", "Settlement files", "Bank statements"):
            assert any(w.startswith(source) for w in warnings), warnings
    finally:
        release_connections()


def test_lines_still_waiting_for_their_journal_start_the_next_build(gapped: Gapped,
                                                                     tmp_path: Path) -> None:
    db = tmp_path / "build.duckdb"
    shutil.copyfile(gapped.warehouse / "build.duckdb", db)
    with duckdb.connect(str(db)) as con:
        fingerprint = scalar(con, "select fingerprint from raw.build_window "
                                  "order by planned_at desc limit 1")
        # Sales waiting for the missing bill start the window on their own: set them aside.
        con.execute("update main.fct_transactions set match_status = 'MATCHED' "
                    "where match_status = 'PENDING'")
        window = build_window.plan(con, "next", fingerprint,
                                   gapped.warehouse / "dbt" / "target" / "manifest.json")
    # Nothing new arrived, yet the lines waiting for the journal are rebuilt: they are the
    # oldest that a later file (the journal itself) can change.
    assert (window.mode, window.reason) == (
        "INCREMENTAL", "oldest date reached: settlement lines still PENDING_JOURNAL")
    assert window.start == gapped.gaps.journal_day - timedelta(days=1)


def test_putting_the_files_back_matches_what_waited(gapped: Gapped, tmp_path: Path) -> None:
    # On copies: the other tests read the gapped warehouse.
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    shutil.copytree(gapped.landing, landing)
    shutil.copytree(gapped.warehouse, warehouse, symlinks=True)
    key = gapped.warehouse.parent / f"{gapped.warehouse.name}.card-key"
    shutil.copy(key, tmp_path / f"{warehouse.name}.card-key")
    shutil.copytree(gapped.held, landing, dirs_exist_ok=True)
    run_cli("refresh", "--landing", str(landing), "--warehouse", str(warehouse), check=True)
    record = json.loads(sorted((warehouse / "runs").glob("*.json"))[-1].read_text())
    assert record["build"]["mode"] == "INCREMENTAL", record["build"]

    for s in evaluate(Warehouse.at(warehouse), landing / "labels.csv"):
        assert (s.precision, s.recall) == (1.0, 1.0), s
        assert s.passes, s
    with _snapshot(warehouse) as con:
        statuses = dict(con.execute(
            "select match_status, count(*) from fct_settlement_lines group by 1").fetchall())
        assert "PENDING_JOURNAL" not in statuses
        matched = scalar(
            con,
            "select count(*) from fct_settlement_lines as l "
            "join fct_transactions as t using (journal_line_id) "
            "where t.merchant_id = ? and t.business_date = ?",
            [gapped.gaps.journal_merchant, gapped.gaps.journal_day])
        assert matched == gapped.gaps.journal_lines
        assert scalar(con, "select count(*) from mart_pending_sources where is_gap"
                           ) == 0
