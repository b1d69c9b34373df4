"""The case store as the warehouse's ``cases`` source, end to end with real refreshes.

The copy into the build database is one consistent read; a refresh links reports to their
transactions and exceptions, syncs cases after it publishes, and the next refresh shows what
the cases recovered and wrote off in mart_loss_assessment.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from posaudit.cases import lifecycle as lc
from posaudit.cases import roles, trail
from posaudit.cases.export import export_cases, store_columns
from posaudit.cases.reports import ReportInput, known_terminals, submit_report
from posaudit.cases.store import Store
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built, run_cli
from tests.helpers.rows import scalar

Who = Callable[[str], lc.Actor]

# --- the copy ----------------------------------------------------------------------------------


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute("select table_name, column_name from information_schema.columns "
                       "where table_schema = 'cases' order by table_name, ordinal_position"
                       ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


def test_no_store_gives_empty_tables_with_the_stores_columns(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        counts = export_cases(con, tmp_path / "cases.sqlite")
        assert counts == {"cases": 0, "case_actions": 0, "reports": 0}
        assert _tables(con) == {t: [c for c, _ in cols] for t, cols in store_columns().items()}
    assert not (tmp_path / "cases.sqlite").exists()  # the refresh creates no store


def test_a_write_in_progress_is_never_half_seen(store: Store, tmp_path: Path) -> None:
    lc.open_case(store, lc.SYSTEM, title="ONE_SIDED T1 1", amount="10")
    writer = store.connect()
    conn = writer.__enter__()
    try:
        conn.execute("begin immediate")
        lc.insert_case(conn, "C-INFLIGHT", lc.SYSTEM, title="ONE_SIDED T1 2", amount="20.00",
                       currency="CNY", exception_id="E2", report_id=None, reason=None,
                       payload={})
        with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
            # The case and its trail row are written but not committed: neither is copied.
            assert export_cases(con, store.path) == {"cases": 1, "case_actions": 1,
                                                     "reports": 0}
        conn.execute("commit")
    finally:
        writer.__exit__(None, None, None)
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        assert export_cases(con, store.path) == {"cases": 2, "case_actions": 2, "reports": 0}
        row = con.execute("select c.state, c.amount, a.seq from cases.cases as c "
                          "join cases.case_actions as a using (case_id) "
                          "where case_id = 'C-INFLIGHT'").fetchone()
        assert row == ("OPEN", "20.00", 2)


def _dump(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    return {t: con.execute(f"select * from cases.{t} order by all").fetchall()
            for t in ("cases", "case_actions", "reports")}


def test_the_copy_takes_what_changed_and_equals_a_full_copy(store: Store, who: Who,
                                                              tmp_path: Path) -> None:
    first = lc.open_case(store, lc.SYSTEM, title="ONE_SIDED T1 1", amount="10",
                         exception_id="E1")
    submit_report(store, _form({"terminal_id": "T1", "txn_time": datetime(2026, 10, 1),
                                "trace_no": "000001", "amount": Decimal("5.00"),
                                "exception_type": "ONE_SIDED"}, "王丽"),
                  who("olga"), known_terminals={"T1"}, now=datetime(2026, 10, 2))
    build = tmp_path / "build.duckdb"
    with duckdb.connect(str(build)) as con:
        assert export_cases(con, store.path) == {"cases": 2, "case_actions": 2, "reports": 1}
    # A state change, a new case, a link: the next copy takes them in.
    lc.act(store, first, "assign", who("olga"))
    second = lc.open_case(store, lc.SYSTEM, title="VOID_SETTLED T1 2", amount="20")
    with store.write() as conn:
        lc.link(conn, second, lc.SYSTEM, exception_id="E2", reason="joins")
    with duckdb.connect(str(build)) as con:
        assert export_cases(con, store.path) == {"cases": 3, "case_actions": 5, "reports": 1}
        incremental = _dump(con)
    with duckdb.connect(str(tmp_path / "fresh.duckdb")) as con:
        export_cases(con, store.path)
        assert _dump(con) == incremental
    states = {r[0]: (r[1], r[5]) for r in incremental["cases"]}
    assert states[first] == ("E1", "INVESTIGATING") and states[second] == ("E2", "OPEN")
    # Another store in its place (a restored backup): the copy is rebuilt, not merged.
    store.path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{store.path}{suffix}").unlink(missing_ok=True)
    lc.open_case(Store.at(store.path.parent), lc.SYSTEM, title="ONE_SIDED T9 9", amount="1")
    with duckdb.connect(str(build)) as con:
        assert export_cases(con, store.path) == {"cases": 1, "case_actions": 1, "reports": 0}


# --- end to end --------------------------------------------------------------------------------


@dataclass
class Story:
    warehouse: Path
    store: Store
    targets: dict[str, dict[str, Any]]  # role in the story -> fct_exceptions row
    early: tuple[str, str]  # form report filed before the first refresh: (report_id, case_id)
    late: tuple[str, str]  # form report about an exception that already had a case
    refund: Decimal
    cases_after_first: list[dict[str, Any]]
    loss_before: dict[str, tuple[Decimal, Decimal, Decimal, Decimal]]
    loss_after: dict[str, tuple[Decimal, Decimal, Decimal, Decimal]]
    resync: str


def _snapshot(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(Warehouse.at(warehouse).current_snapshot()), read_only=True)


def _loss_by_type(warehouse: Path) -> dict[str, tuple[Decimal, Decimal, Decimal, Decimal]]:
    with _snapshot(warehouse) as con:
        rows = con.execute("select exception_type, sum(exposure_amount), sum(recovered_amount), "
                           "sum(written_off_amount), sum(net_loss) from mart_loss_assessment "
                           "group by all").fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def _pick_targets(built: Built) -> dict[str, dict[str, Any]]:
    """Exceptions of the shared warehouse (same landing, so the same ids) not already named by
    a report file, with nothing recovered from later data."""
    with _snapshot(built.warehouse) as con:
        cur = con.execute("""
            select exception_type, exception_id, terminal_id, trace_no, rrn, txn_time, amount,
                   exposure_amount
            from fct_exceptions
            where exception_type in ('ONE_SIDED', 'VOID_SETTLED', 'DUPLICATE_CHARGE',
                                     'AMOUNT_MISMATCH')
              and recovered_amount = 0 and exposure_amount > 1
              and exception_id not in (select exception_id from fct_error_reports
                                       where exception_id is not null)
            qualify row_number() over (partition by exception_type order by exception_id) = 1
        """)
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    by_type = {r["exception_type"]: r for r in rows}
    return {"early": by_type["ONE_SIDED"], "late": by_type["VOID_SETTLED"],
            "refund": by_type["DUPLICATE_CHARGE"], "write_off": by_type["AMOUNT_MISMATCH"]}


def _form(target: dict[str, Any], who: str) -> ReportInput:
    return ReportInput(reporter_name=who, reporter_role="收银员", merchant_id=None,
                       terminal_id=target["terminal_id"], txn_time=target["txn_time"],
                       trace_no=target["trace_no"], rrn=None, amount=target["amount"],
                       error_type=target["exception_type"], description="顾客来电反映",
                       evidence_ref=None)


def _refresh(landing: Path, warehouse: Path) -> None:
    result = run_cli("refresh", "--landing", str(landing), "--warehouse", str(warehouse),
                     check=True)
    assert "cases sync failed" not in result.stdout + result.stderr


def _case_of(store: Store, exception_id: str) -> dict[str, Any]:
    with store.read() as conn:
        row = conn.execute("select * from cases where exception_id = ?",
                           (exception_id,)).fetchone()
    assert row is not None, exception_id
    return dict(row)


@pytest.fixture(scope="module")
def story(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    warehouse = tmp_path_factory.mktemp("cases_e2e") / "W"
    users = roles.users_path(warehouse)
    for name, role in (("olga", roles.OPERATOR), ("anna", roles.APPROVER)):
        roles.add_user(users, name, role)
    olga, anna = lc.Actor("olga", roles.OPERATOR), lc.Actor("anna", roles.APPROVER)
    store = Store.at(warehouse)
    targets = _pick_targets(built)
    terminals = known_terminals(Warehouse.at(built.warehouse).current_snapshot())

    # A cashier reports an error before any refresh has seen it.
    early = submit_report(store, _form(targets["early"], "王丽"), olga,
                          known_terminals=terminals, now=datetime.now())
    _refresh(built.landing, warehouse)
    cases_after_first = lc.list_cases(store)
    resync = run_cli("cases", "sync", "--warehouse", str(warehouse)).stdout
    loss_before = _loss_by_type(warehouse)

    # The duplicate charge is refunded in part; the amount mismatch is written off in full.
    refund = (targets["refund"]["exposure_amount"] / 2).quantize(Decimal("0.01"))
    dup_case = _case_of(store, targets["refund"]["exception_id"])["case_id"]
    lc.act(store, dup_case, "assign", olga)
    lc.act(store, dup_case, "record_refund", olga, amount=refund, reference="RF-20261008-1")
    wo_case = _case_of(store, targets["write_off"]["exception_id"])["case_id"]
    lc.act(store, wo_case, "assign", olga)
    lc.act(store, wo_case, "propose_write_off", olga,
           amount=targets["write_off"]["exposure_amount"], reason="below recovery cost")
    lc.act(store, wo_case, "approve_write_off", anna)
    # A report about an exception whose case the refresh already opened.
    late = submit_report(store, _form(targets["late"], "陈静"), olga,
                         known_terminals=terminals, now=datetime.now())
    _refresh(built.landing, warehouse)
    yield Story(warehouse, store, targets, early, late, refund, cases_after_first, loss_before,
                _loss_by_type(warehouse), resync)


@pytest.mark.slow
def test_one_case_per_exception_and_per_unlinked_report(story: Story) -> None:
    with _snapshot(story.warehouse) as con:
        exceptions = scalar(con, "select count(*) from fct_exceptions")
        file_reports = con.execute(
            "select report_id, link_status, exception_id from fct_error_reports "
            "where source_kind = 'FILE' order by report_id").fetchall()
    unlinked = [r for r in file_reports if r[1] != "LINKED_EXCEPTION"]
    assert file_reports and unlinked  # the demo landing files one report that matches nothing
    # One case per exception (the early form report's case took its exception in, no second
    # case for it) and one per report that is about no exception.
    assert len(story.cases_after_first) == exceptions + len(unlinked)
    with story.store.read() as conn:
        stored = {r["report_id"]: dict(r) for r in conn.execute("select * from reports")}
    for report_id, status, exception_id in file_reports:
        assert stored[report_id]["source"].startswith("file:reports/")
        case = lc.get_case(story.store, stored[report_id]["case_id"])
        assert case is not None
        if status == "LINKED_EXCEPTION":
            assert case["exception_id"] == exception_id
            assert any(a["action"] == "link" and a["reference"] == report_id
                       for a in lc.case_trail(story.store, case["case_id"]))
        else:
            assert case["report_id"] == report_id and case["exception_id"] is None
            assert case["state"] == lc.OPEN
    assert story.resync.startswith("0 case(s) opened")
    assert trail.verify(story.store) == []


@pytest.mark.slow
def test_the_form_report_filed_first_keeps_its_case(story: Story) -> None:
    report_id, case_id = story.early
    case = lc.get_case(story.store, case_id)
    assert case is not None
    assert case["exception_id"] == story.targets["early"]["exception_id"]
    assert [a["action"] for a in lc.case_trail(story.store, case_id)][:2] == ["open", "link"]
    with _snapshot(story.warehouse) as con:
        row = con.execute("select link_status, link_rule, exception_id, case_id, "
                          "exception_case_id, source from fct_error_reports "
                          "where report_id = ?", [report_id]).fetchone()
    assert row == ("LINKED_EXCEPTION", "TRACE_NO", story.targets["early"]["exception_id"],
                   case_id, case_id, "form")


@pytest.mark.slow
def test_a_form_report_filed_after_the_case_is_linked_to_it(story: Story) -> None:
    report_id, report_case = story.late
    exception_case = _case_of(story.store, story.targets["late"]["exception_id"])["case_id"]
    assert exception_case != report_case
    links = [a for a in lc.case_trail(story.store, exception_case) if a["action"] == "link"]
    assert [a["reference"] for a in links] == [report_id]
    assert json.loads(links[0]["payload"])["report_case_id"] == report_case
    with _snapshot(story.warehouse) as con:
        row = con.execute("select link_status, case_id, exception_case_id from "
                          "fct_error_reports where report_id = ?", [report_id]).fetchone()
    assert row == ("LINKED_EXCEPTION", report_case, exception_case)


@pytest.mark.slow
def test_case_refunds_and_write_offs_reach_the_loss_mart(story: Story) -> None:
    before, after = story.loss_before, story.loss_after
    exposure_b, recovered_b, written_b, net_b = before["DUPLICATE_CHARGE"]
    exposure_a, recovered_a, written_a, net_a = after["DUPLICATE_CHARGE"]
    assert exposure_a == exposure_b
    assert recovered_a - recovered_b == story.refund
    assert net_b - net_a == story.refund
    assert written_a == written_b == 0
    wo = story.targets["write_off"]["exposure_amount"]
    assert after["AMOUNT_MISMATCH"][2] - before["AMOUNT_MISMATCH"][2] == wo
    assert before["AMOUNT_MISMATCH"][3] - after["AMOUNT_MISMATCH"][3] == wo
    for exposure, recovered, written_off, net in after.values():
        assert exposure == recovered + written_off + net  # to the fen
    with _snapshot(story.warehouse) as con:
        states = dict(con.execute(
            "select case_state, sum(recovered_amount) from mart_loss_assessment "
            "where exception_type = 'DUPLICATE_CHARGE' group by all").fetchall())
        outcome = con.execute(
            "select case_state, refunded_amount, written_off_amount "
            "from intermediate.int_cases_summarised where exception_id = ?",
            [story.targets["write_off"]["exception_id"]]).fetchone()
    assert states["REFUNDED"] == story.refund
    assert outcome == ("WRITTEN_OFF", 0, wo)


@pytest.mark.slow
def test_the_snapshot_carries_the_case_store(story: Story) -> None:
    with _snapshot(story.warehouse) as con, story.store.read() as conn:
        for table in ("cases", "case_actions", "reports"):
            copied = scalar(con, f"select count(*) from cases.{table}")
            # Everything but what the sync after the last publish added.
            held = conn.execute(f"select count(*) from {table}").fetchone()[0]
            assert 0 < copied <= held
        kinds = dict(con.execute("select source_kind, count(*) from staging.stg_cases__reports "
                                 "group by all").fetchall())
    assert kinds["FORM"] == 2 and kinds["FILE"] >= 1


@pytest.mark.slow
def test_a_failed_sync_does_not_fail_the_refresh(generated_landing: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from posaudit.pipeline import refresh as refresh_module

    def broken(store: Store, snapshot: Path) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(refresh_module, "sync_cases", broken)
    warehouse = Warehouse.at(tmp_path / "W")
    result = refresh_module.refresh(generated_landing, warehouse)
    assert result.exit_code in (0, 1) and result.snapshot_id == warehouse.current_id()
    assert any("cases sync failed (OperationalError: database is locked)" in m
               for m in result.messages)
    record = json.loads(warehouse.run_record_path(result.run_id).read_text())
    assert any("cases sync failed" in m for m in record["messages"])
    assert lc.list_cases(Store.at(warehouse.root)) == []
    # The sync can be run again by hand.
    synced = run_cli("cases", "sync", "--warehouse", str(warehouse.root))
    assert synced.returncode == 0 and not synced.stdout.startswith("0 ")
