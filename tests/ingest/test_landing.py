"""``ingest_landing`` end to end on a small landing zone and a real DuckDB file."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import duckdb
import polars as pl
import pytest

from posaudit.expectations.config import DQConfig
from posaudit.expectations.core import DQContext
from posaudit.expectations.incoming import IncomingChecker
from posaudit.ingest.landing import load_landing
from posaudit.pipeline.ingest_step import ingest_landing
from tests.helpers.raw_docs import Doc, LandingZone, xlsx, zipped
from tests.helpers.raw_settlement import (
    adyen_sdr,
    alipay_bill,
    bank_statement,
    cn_pos_statement,
    wechat_bill,
    wechat_bill_legacy,
)
from tests.helpers.raw_terminal import (
    ERROR_REPORT_HEADER,
    error_report,
    fee_contracts,
    pos_journal_cn,
    pos_journal_v1,
    terminal_events,
    terminals,
)
from tests.helpers.raw_values import (
    CARDHOLDER,
    MERCHANT,
    MERCHANT_2,
    PAN_UNIONPAY,
    PAN_VISA,
    PAYER_NAME,
    sensitive_in,
    varchar_leaks,
)
from tests.helpers.rows import scalar

# (folder, name, builder, layout, raw table, data rows)
ONE_OF_EACH: list[tuple[str, str, Callable[[], Doc | str], str, str, int]] = [
    ("terminal", "pos_53990011_20261103.csv", pos_journal_v1, "pos_journal_v1",
     "pos_journal_v1", 5),
    ("terminal", "终端流水_20261103.csv", pos_journal_cn, "pos_journal_cn", "pos_journal_cn", 4),
    ("settlement", "lakala_20261104.csv", cn_pos_statement, "cn_pos_statement",
     "cn_pos_statement", 4),
    ("settlement", "1900000109All2026-11-03.csv", wechat_bill, "wechat_bill", "wechat_bill", 3),
    ("settlement", "adyen_batch_42.csv", adyen_sdr, "adyen_sdr", "adyen_sdr", 7),
    ("bank", "icbc_202611.csv", bank_statement, "bank_statement_cn", "bank_statement_cn", 4),
    ("events", "events_20261103.jsonl", terminal_events, "terminal_events", "terminal_events",
     5),
    ("reports", "error_reports.csv", error_report, "error_report", "error_report", 2),
    ("reference", "terminals.csv", terminals, "terminals", "ref_terminals", 2),
    ("reference", "fee_contracts.csv", fee_contracts, "fee_contracts", "ref_fee_contracts", 3),
]


def _frame(con: duckdb.DuckDBPyConnection, sql: str,
           params: list[object] | None = None) -> pl.DataFrame:
    rows = con.execute(sql, params or []).fetchall()
    names = [d[0] for d in con.description]
    return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)


def _manifest(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return _frame(con, "SELECT * FROM raw.file_manifest ORDER BY file_name")


def _count(con: duckdb.DuckDBPyConnection, table: str, file_id: str | None = None) -> int:
    if file_id is None:
        return scalar(con, f"SELECT count(*) FROM raw.{table}")
    return scalar(con, f"SELECT count(*) FROM raw.{table} WHERE file_id = ?", [file_id])


def _status(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    rows = _frame(con, "SELECT * FROM raw.file_manifest WHERE file_name = ?", [name])
    assert rows.height == 1, f"{name}: {rows.height} manifest rows"
    return rows.row(0, named=True)


def _table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
    ).fetchall()]
    return {t: _count(con, t) for t in tables}


def _put_all(landing: LandingZone) -> dict[str, tuple[str, str, int]]:
    placed: dict[str, tuple[str, str, int]] = {}
    for folder, name, build, layout, table, rows in ONE_OF_EACH:
        placed[landing.put(folder, name, build())] = (layout, table, rows)
    return placed


def test_every_layout_loads(landing, con, card_key):
    placed = _put_all(landing)
    placed[landing.put("settlement", "alipay_20261103.csv.zip",
                       zipped("20889112345678900156_业务明细.csv", alipay_bill().data()))] = (
        "alipay_bill", "alipay_bill", 3)
    placed[landing.put("settlement", "wechat_legacy.csv", wechat_bill_legacy())] = (
        "wechat_bill", "wechat_bill", 2)
    report = ingest_landing(landing.root, con, card_key)
    problems = [(o.file_name, o.status, o.error) for o in report.outcomes if o.status != "LOADED"]
    assert problems == []
    assert report.count("LOADED") == len(placed)
    for name, (layout, table, rows) in placed.items():
        entry = _status(con, name)
        assert entry["layout"] == layout, name
        assert entry["rows_loaded"] == entry["rows_read"] == rows, name
        assert _count(con, table, entry["file_id"]) == rows, name
        lines = con.execute(f"SELECT min(line_no) FROM raw.{table} WHERE file_id = ?",
                            [entry["file_id"]]).fetchone()[0]
        assert lines >= 1
    assert _status(con, "settlement/lakala_20261104.csv")["encoding"] == "gbk"
    assert _status(con, "settlement/1900000109All2026-11-03.csv")["encoding"] == "utf-8"
    # money is DECIMAL in the warehouse, never a float
    types = dict(con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'raw' AND table_name = 'cn_pos_statement'"
    ).fetchall())
    assert types["settle_amount"] == "DECIMAL(18,2)"
    total = con.execute("SELECT sum(settle_amount) FROM raw.cn_pos_statement").fetchone()[0]
    assert total == Decimal("1464.53")


def test_processes_load_exactly_what_threads_load(landing, card_key, tmp_path):
    """Much new data is parsed in worker processes (PROCESS_BYTES); here forced, on every
    layout, a zipped bill and a file that does not parse: the same raw rows, card tokens,
    manifest and quarantine as with threads, and the checks' columns made in the workers."""
    _put_all(landing)
    landing.put("settlement", "alipay_20261103.csv.zip",
                zipped("20889112345678900156_业务明细.csv", alipay_bill().data()))
    landing.put("terminal", "pos_53990011_20261104.csv",
                pos_journal_v1().data().replace(b"SALE", b"SAIL", 1))
    tables = ["file_manifest", *sorted({t for _, _, _, _, t, _ in ONE_OF_EACH}), "alipay_bill"]
    loaded: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
    for how, process_bytes in (("threads", 2**62), ("processes", 0)):
        with duckdb.connect(str(tmp_path / f"{how}.duckdb")) as db:
            checker = IncomingChecker(DQConfig(), DQContext())
            report = load_landing(landing.root, db, card_key, checks=checker, run_id="R1",
                                  process_bytes=process_bytes)
            assert report.count("QUARANTINED") == 1, how
            assert report.parsed_in == how
            assert (report.worker_cpu_seconds > 0) == (how == "processes")
            # Everything but when each file was decided.
            loaded[how] = {t: sorted(db.execute(
                f"select * {'exclude (first_seen_at, loaded_at)' if t == 'file_manifest' else ''}"
                f" from raw.{t}").fetchall(), key=repr) for t in tables}
    assert loaded["processes"] == loaded["threads"]
    assert loaded["threads"]["pos_journal_v1"] and loaded["threads"]["alipay_bill"]


def test_xlsx_error_report_loads(landing, con, card_key):
    data = xlsx(ERROR_REPORT_HEADER, [
        ["ER-1", "2026-11-03 19:02:00", "李娜", "收银员", MERCHANT, "53990011", None, None, None,
         12.5, "重复扣款", f"卡号{PAN_VISA}", None],
    ])
    name = landing.put("reports", "error_report_202611.xlsx", data)
    report = ingest_landing(landing.root, con, card_key)
    assert [(o.status, o.error) for o in report.outcomes] == [("LOADED", None)]
    entry = _status(con, name)
    assert entry["layout"] == "error_report"
    assert _count(con, "error_report", entry["file_id"]) == 1
    assert con.execute("SELECT description FROM raw.error_report").fetchone()[0] == (
        "卡号411111******1111"
    )


def test_second_run_changes_nothing(landing, con, card_key):
    _put_all(landing)
    first = ingest_landing(landing.root, con, card_key)
    assert first.count("LOADED") == len(ONE_OF_EACH)
    counts, manifest = _table_counts(con), _manifest(con)
    second = ingest_landing(landing.root, con, card_key)
    assert second.outcomes == []
    assert second.skipped_unchanged == len(ONE_OF_EACH)
    assert _table_counts(con) == counts
    assert _manifest(con).equals(manifest)
    # touched but unchanged (new mtime, same bytes): still nothing
    for folder, name, build, *_ in ONE_OF_EACH:
        landing.put(folder, name, build())
    third = ingest_landing(landing.root, con, card_key)
    assert third.outcomes == []
    assert _table_counts(con) == counts
    assert _manifest(con).height == manifest.height


def test_same_content_under_another_name_is_duplicate(landing, con, card_key):
    original = landing.put("settlement", "lakala_20261104.csv", cn_pos_statement())
    ingest_landing(landing.root, con, card_key)
    copy = landing.put("settlement", "lakala_20261104 (1).csv", cn_pos_statement())
    report = ingest_landing(landing.root, con, card_key)
    assert [(o.file_name, o.status) for o in report.outcomes] == [(copy, "DUPLICATE")]
    assert _status(con, copy)["duplicate_of"] == _status(con, original)["file_id"]
    assert _status(con, original)["status"] == "LOADED"
    assert _count(con, "cn_pos_statement") == 4


def test_duplicates_within_one_run(landing, con, card_key):
    a = landing.put("terminal", "a.csv", pos_journal_v1())
    b = landing.put("terminal", "sub/b.csv", pos_journal_v1())
    report = ingest_landing(landing.root, con, card_key)
    assert {o.file_name: o.status for o in report.outcomes} == {a: "LOADED", b: "DUPLICATE"}
    assert _count(con, "pos_journal_v1") == 5


def _corrected_statement():
    # the acquirer corrects one fee (and so one settlement amount) and resends the file
    return cn_pos_statement().set(1, "手续费", "2.00").set(1, "结算金额", "348.00")


@pytest.mark.parametrize("same_run", [False, True])
def test_corrected_statement_supersedes(landing, con, card_key, same_run):
    old = landing.put("settlement", "lakala_20261104.csv", cn_pos_statement())
    other_day = landing.put("settlement", "lakala_20261105.csv",
                            cn_pos_statement(settle_date="2026-11-05"))
    other_merchant = landing.put("settlement", "lakala_m2_20261104.csv",
                                 cn_pos_statement(merchant=MERCHANT_2))
    if not same_run:
        ingest_landing(landing.root, con, card_key)
    new = landing.put("settlement", "lakala_20261104_corrected.csv", _corrected_statement())
    ingest_landing(landing.root, con, card_key)
    old_entry, new_entry = _status(con, old), _status(con, new)
    assert old_entry["status"] == "SUPERSEDED"
    assert old_entry["superseded_by"] == new_entry["file_id"]
    assert old_entry["rows_loaded"] == 0
    assert new_entry["status"] == "LOADED"
    assert _count(con, "cn_pos_statement", old_entry["file_id"]) == 0
    assert _count(con, "cn_pos_statement", new_entry["file_id"]) == 4
    for name in (other_day, other_merchant):
        assert _status(con, name)["status"] == "LOADED"
    # no double counting: the day's settlement is the corrected file's, once
    total = con.execute(
        "SELECT sum(settle_amount) FROM raw.cn_pos_statement "
        "WHERE merchant_id = ? AND settlement_date = DATE '2026-11-04'", [MERCHANT]
    ).fetchone()[0]
    assert total == Decimal("1464.53") + Decimal("0.10")
    assert _count(con, "cn_pos_statement") == 12
    # and a re-run changes nothing
    again = ingest_landing(landing.root, con, card_key)
    assert again.outcomes == []


def test_corrected_wechat_bill_supersedes(landing, con, card_key):
    old = landing.put("settlement", "wx_1103.csv", wechat_bill())
    ingest_landing(landing.root, con, card_key)
    new = landing.put("settlement", "wx_1103_v2.csv", wechat_bill(bom=False))
    ingest_landing(landing.root, con, card_key)
    assert _status(con, old)["status"] == "SUPERSEDED"
    assert _status(con, new)["status"] == "LOADED"
    assert _count(con, "wechat_bill") == 3


def test_newer_reference_file_replaces_older(landing, con, card_key):
    old = landing.put("reference", "terminals.csv", terminals())
    ingest_landing(landing.root, con, card_key)
    doc = terminals()
    doc.rows.append(["53990013", MERCHANT, "S003", "三里屯店", "华北", "拉卡拉", "PAX A920",
                     "V2.3.1", "2026-10-01"])
    new = landing.put("reference", "terminals_202611.csv", doc)
    ingest_landing(landing.root, con, card_key)
    assert _status(con, old)["status"] == "SUPERSEDED"
    assert _status(con, new)["status"] == "LOADED"
    assert _count(con, "ref_terminals") == 3


def test_bad_file_is_quarantined_and_the_rest_loads(landing, con, card_key):
    placed = _put_all(landing)
    bad_doc = cn_pos_statement(settle_date="2026-11-05").set(1, "交易金额", "350.001")
    bad = landing.put("settlement", "lakala_20261105.csv", bad_doc)
    report = ingest_landing(landing.root, con, card_key)
    statuses = {o.file_name: o.status for o in report.outcomes}
    assert statuses.pop(bad) == "QUARANTINED"
    assert set(statuses.values()) == {"LOADED"}
    assert set(statuses) == set(placed)
    entry = _status(con, bad)
    assert entry["error_line"] == bad_doc.line_of(1) == 3
    assert entry["error_field"] == "交易金额"
    assert entry["error"].startswith(f"{bad}, line 3, field 交易金额: ")
    assert entry["rows_loaded"] == 0
    assert entry["layout"] == "cn_pos_statement"
    assert _count(con, "cn_pos_statement", entry["file_id"]) == 0
    assert _count(con, "cn_pos_statement") == 4


def test_fixed_file_under_the_same_name_loads_after_quarantine(landing, con, card_key):
    bad = cn_pos_statement().set(1, "交易金额", "350.001")
    name = landing.put("settlement", "lakala_20261104.csv", bad)
    ingest_landing(landing.root, con, card_key)
    assert _status(con, name)["status"] == "QUARANTINED"
    landing.put("settlement", "lakala_20261104.csv", cn_pos_statement())
    ingest_landing(landing.root, con, card_key)
    statuses = con.execute("SELECT status FROM raw.file_manifest WHERE file_name = ? "
                           "ORDER BY first_seen_at", [name]).fetchall()
    assert [s for (s,) in statuses] == ["QUARANTINED", "LOADED"]
    assert _count(con, "cn_pos_statement") == 4


def test_file_in_the_wrong_folder_is_quarantined(landing, con, card_key):
    name = landing.put("bank", "pos_53990011_20261103.csv", pos_journal_v1())
    good = landing.put("bank", "icbc_202611.csv", bank_statement())
    report = ingest_landing(landing.root, con, card_key)
    assert {o.file_name: o.status for o in report.outcomes} == {
        name: "QUARANTINED", good: "LOADED",
    }
    entry = _status(con, name)
    assert entry["layout"] == "pos_journal_v1"
    assert "terminal/" in entry["error"] and "bank/" in entry["error"]
    assert entry["error"].startswith(name)
    assert _count(con, "pos_journal_v1") == 0


@pytest.mark.parametrize("content", [
    b"hello, world\n",
    b"",
    b"\xff\xfe\x00\x00binary",
    b"id,amount,currency\ntxn_1,12.00,usd\n",
])
def test_unknown_file_is_quarantined(landing, con, card_key, content):
    name = landing.put("settlement", "mystery.csv", content)
    good = landing.put("settlement", "adyen.csv", adyen_sdr())
    report = ingest_landing(landing.root, con, card_key)
    assert {o.file_name: o.status for o in report.outcomes} == {
        name: "QUARANTINED", good: "LOADED",
    }
    entry = _status(con, name)
    assert "layout not recognised" in entry["error"]
    assert entry["error"].startswith(name)
    assert entry["layout"] is None


def test_files_outside_the_folders_are_ignored(landing, con, card_key):
    (landing.root / "notes.txt").write_text("not data")
    (landing.root / "terminal" / ".hidden.csv").write_bytes(pos_journal_v1().data())
    report = ingest_landing(landing.root, con, card_key)
    assert report.outcomes == []
    assert report.ignored == ["notes.txt"]


def test_nothing_sensitive_anywhere_in_the_warehouse(landing, con, card_key):
    _put_all(landing)
    landing.put("settlement", "lakala_m2.csv", cn_pos_statement(merchant=MERCHANT_2))
    # memo and free text with card numbers
    landing.put("bank", "memo.csv", bank_statement().set(2, "备注", f"退款 卡号 {PAN_UNIONPAY}"))
    # quarantined files whose bad line carries a PAN or personal data
    journal = pos_journal_v1().set(0, "card_type", PAN_VISA)
    landing.put("terminal", "bad_journal.csv", journal)
    statement = cn_pos_statement(settle_date="2026-11-06")
    statement.rows[0].insert(10, CARDHOLDER)
    landing.put("settlement", "bad_statement.csv", statement)
    statement = cn_pos_statement(settle_date="2026-11-07").set(2, "交易时间", "25:61:00")
    landing.put("settlement", "bad_time.csv", statement)
    card = pos_journal_v1().set(1, "card_no", PAN_VISA + "0000")
    landing.put("terminal", "bad_card.csv", card)
    report = ingest_landing(landing.root, con, card_key)
    assert report.count("QUARANTINED") == 4
    assert report.count("LOADED") == len(ONE_OF_EACH) + 2
    assert varchar_leaks(con) == []
    errors = [e for (e,) in con.execute(
        "SELECT error FROM raw.file_manifest WHERE error IS NOT NULL").fetchall()]
    assert len(errors) == 4
    for error in errors:
        assert not sensitive_in(error), error
        assert PAN_VISA not in error and CARDHOLDER not in error and PAYER_NAME not in error
    for outcome in report.outcomes:
        assert not sensitive_in(outcome.error or "")
    # and the PANs did arrive as tokens
    tokens = con.execute("SELECT count(DISTINCT card_token) FROM raw.pos_journal_v1").fetchone()
    assert tokens[0] == 2


@pytest.mark.parametrize("same_run", [False, True])
def test_old_content_arriving_again_does_not_undo_a_correction(landing, con, card_key,
                                                               same_run):
    old = landing.put("settlement", "lakala_20261104.csv", cn_pos_statement())
    if not same_run:
        ingest_landing(landing.root, con, card_key)
    new = landing.put("settlement", "lakala_20261104_corrected.csv", _corrected_statement())
    if not same_run:
        ingest_landing(landing.root, con, card_key)
    again = landing.put("settlement", "resent/lakala_20261104.csv", cn_pos_statement())
    report = ingest_landing(landing.root, con, card_key)
    assert (again, "DUPLICATE") in [(o.file_name, o.status) for o in report.outcomes]
    assert _status(con, old)["status"] == "SUPERSEDED"
    assert _status(con, new)["status"] == "LOADED"
    assert _status(con, again)["duplicate_of"] == _status(con, old)["file_id"]
    total = con.execute("SELECT sum(settle_amount) FROM raw.cn_pos_statement").fetchall()[0][0]
    assert total == Decimal("1464.63")


def test_same_name_new_content_supersedes(landing, con, card_key):
    name = landing.put("bank", "icbc_202611.csv", bank_statement())
    ingest_landing(landing.root, con, card_key)
    first_id = _status(con, name)["file_id"]
    doc = bank_statement()
    doc.rows.append(["2026-11-04", "16:00:00", "B2026110400006", "手续费", "5.00", "", "22608.58",
                     "中国工商银行", "", "账户管理费"])
    landing.put("bank", "icbc_202611.csv", doc)
    ingest_landing(landing.root, con, card_key)
    rows = _frame(con, "SELECT file_id, status FROM raw.file_manifest ORDER BY first_seen_at")
    assert rows.rows() == [(first_id, "SUPERSEDED"), (rows["file_id"][1], "LOADED")]
    assert _count(con, "bank_statement_cn") == 5
