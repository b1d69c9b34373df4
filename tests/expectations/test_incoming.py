"""Incoming checks, end to end through ``ingest_landing`` on a real DuckDB file.

Every check passes on good files of every layout and refuses a crafted bad file: the file is
QUARANTINED with the check, line, field and severity in its manifest row, the report carries a
FAILED result naming it, and the other files of the same landing zone still load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

import posaudit.expectations.core as core
import posaudit.ingest.landing as landing_module
from posaudit.expectations.config import DQConfig
from posaudit.expectations.core import CRITICAL, FAILED, PASSED, WARNING, DQContext
from posaudit.expectations.incoming import CHECKS
from posaudit.expectations.incoming.runner import ROW_INDEX, _BatchRun
from posaudit.expectations.incoming.suites import row_checks
from posaudit.ingest.cardsafe import CardKey, mask_pan
from posaudit.ingest.landing import IngestReport
from posaudit.ingest.layouts import BY_NAME
from posaudit.ingest.layouts.bank_statement_cn import BankStatementCn
from posaudit.ingest.layouts.pos_journal import PosJournalV1
from posaudit.pipeline.ingest_step import ingest_landing
from tests.helpers.raw_docs import Doc, LandingZone, zipped
from tests.helpers.raw_settlement import (
    adyen_sdr,
    alipay_bill,
    bank_statement,
    cn_pos_statement,
    wechat_bill,
    wechat_bill_legacy,
)
from tests.helpers.raw_terminal import (
    error_report,
    fee_contracts,
    pos_journal_cn,
    pos_journal_v1,
    terminal_events,
    terminal_events_lines,
    terminals,
)
from tests.helpers.raw_values import (
    MERCHANT_2,
    PAN_MC,
    PAN_UNIONPAY,
    PAN_VISA,
    TERMINAL,
    sensitive_in,
    varchar_leaks,
)
from tests.helpers.rows import scalar

FOLDERS = ("terminal", "settlement", "bank", "events", "reports", "reference")

# (folder, name, builder, layout): one good file of every layout.
GOOD: list[tuple[str, str, Callable[[], Doc | str | bytes], str]] = [
    ("terminal", "pos_53990011_20261103.csv", pos_journal_v1, "pos_journal_v1"),
    ("terminal", "终端流水_20261103.csv", pos_journal_cn, "pos_journal_cn"),
    ("settlement", "lakala_20261104.csv", cn_pos_statement, "cn_pos_statement"),
    ("settlement", "1900000109All2026-11-03.csv", wechat_bill, "wechat_bill"),
    ("settlement", "wechat_legacy_2026-11-02.csv", wechat_bill_legacy, "wechat_bill"),
    ("settlement", "alipay_20261103.csv.zip",
     lambda: zipped("20889112345678900156_业务明细.csv", alipay_bill().data()), "alipay_bill"),
    ("settlement", "adyen_batch_42.csv", adyen_sdr, "adyen_sdr"),
    ("bank", "icbc_202611.csv", bank_statement, "bank_statement_cn"),
    ("events", "events_20261103.jsonl", terminal_events, "terminal_events"),
    ("reports", "error_reports.csv", error_report, "error_report"),
    ("reference", "terminals.csv", terminals, "terminals"),
    ("reference", "fee_contracts.csv", fee_contracts, "fee_contracts"),
]

# What each layout is checked for (besides columns_typed, which every layout has).
# A journal has no free text (every text field is an identifier or code with a format, or the
# card), so nothing in it is masked: card_numbers_masked does not apply.
CARDS = {"no_card_numbers", "card_numbers_masked"}
LAYOUT_CHECKS = {
    "pos_journal_v1": {"keys_not_null", "keys_unique", "amounts_in_range", "dates_in_period",
                       "no_card_numbers"},
    "cn_pos_statement": {"keys_not_null", "keys_unique", "amounts_in_range",
                         "dates_in_period", *CARDS},
    "wechat_bill": {"keys_not_null", "keys_unique", "amounts_in_range", "dates_in_period",
                    "summary_ties", *CARDS},
    "alipay_bill": {"keys_not_null", "keys_unique", "amounts_in_range", "dates_in_period",
                    "summary_ties", *CARDS},
    "adyen_sdr": {"keys_not_null", "keys_unique", "amounts_in_range", "dates_in_period",
                  "summary_ties", *CARDS},
    "bank_statement_cn": {"keys_not_null", "keys_unique", "dates_in_period", "balance_chain",
                          *CARDS},
    "terminal_events": {"keys_not_null", "dates_in_period", *CARDS},
}


class Landing(LandingZone):
    """A landing zone on disk that can also hold one good file of every layout."""

    def put_good(self) -> dict[str, str]:
        return {self.put(folder, name, build()): layout for folder, name, build, layout in GOOD}


@pytest.fixture
def landing(tmp_path: Path) -> Landing:
    return Landing(tmp_path / "landing")


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture(scope="module")
def dq() -> DQContext:
    return DQContext()


KEY = CardKey(b"k" * 32)


def _ingest(landing: Landing, con: duckdb.DuckDBPyConnection, dq: DQContext,
            config: DQConfig | None = None, **kw: Any) -> IngestReport:
    return ingest_landing(landing.root, con, KEY, dq=dq, config=config or DQConfig(), **kw)


def _entry(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    cur = con.execute("select * from raw.file_manifest where file_name = ?", [name])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, f"{name}: {len(rows)} manifest rows"
    return dict(zip(names, rows[0], strict=True))


def _statuses(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("select file_name, status from raw.file_manifest").fetchall())


def test_good_files_pass_every_check(landing, con, dq):
    placed = landing.put_good()
    report = _ingest(landing, con, dq)
    assert {o.file_name: o.status for o in report.outcomes} == dict.fromkeys(placed, "LOADED")
    # The one finding: a member of staff typed a card number into a report's description. It
    # is stored masked and reported as a warning; the report file loads.
    failed = [(r.file_name, r.check, r.line_no, r.field) for r in report.checks if r.failed]
    assert sorted(failed, key=str) == sorted([
        (None, "card_numbers_masked", None, None),
        ("reports/error_reports.csv", "card_numbers_masked", 2, "description"),
    ], key=str)
    ran: dict[str, set[str]] = {}
    for r in report.checks:
        layout = r.suite.split(".")[1]
        ran.setdefault(layout, set()).add(r.check)
        assert r.batch and r.batch.startswith("window 1 · ")
        assert r.status == PASSED or (layout, r.check) == ("error_report", "card_numbers_masked")
        assert r.severity == (CRITICAL if r.check in ("summary_ties", "balance_chain",
                                                      "keys_unique") else WARNING)
    assert set(ran) == set(placed.values())
    for layout, checks in LAYOUT_CHECKS.items():
        assert ran[layout] == checks | {"columns_typed"}, layout
    assert ran["pos_journal_cn"] == ran["pos_journal_v1"]
    # one summary per check per batch, the batch named by window, layout and file count
    wechat = [r for r in report.checks if r.suite == "incoming.wechat_bill"]
    assert {r.batch for r in wechat} == {"window 1 · wechat_bill · 2 files"}
    assert len(wechat) == len({r.check for r in wechat})
    assert report.check_seconds > 0
    rows = con.execute("select count(*) from raw.file_manifest where status = 'LOADED' "
                       "and error_check is null and error_severity is null").fetchone()[0]
    assert rows == len(placed)


@dataclass(frozen=True)
class Bad:
    """A crafted file that one check refuses, and where the refusal must point."""

    id: str
    check: str
    folder: str
    name: str
    build: Callable[[], Doc]
    line: Callable[[Doc], int | None]
    field: str
    severity: str
    words: tuple[str, ...] = ()


def _statement_repeating_a_line() -> Doc:
    doc = cn_pos_statement(settle_date="2026-11-05")
    doc.rows.insert(2, list(doc.rows[1]))
    return doc


def _wechat_summary_line(doc: Doc) -> int:
    return doc.line_of(len(doc.rows)) + 1


def _alipay_trade_footer_line(doc: Doc) -> int:
    return doc.line_of(len(doc.rows)) + 1


def _journal_at(when: str) -> Doc:
    return pos_journal_v1().set(3, "txn_time", when)


def _wechat_with_summary(title: str, value: str) -> Doc:
    doc = wechat_bill()
    doc.meta[title] = value
    return doc


def _alipay_with_footer(key: str, value: str) -> Doc:
    doc = alipay_bill()
    doc.meta[key] = value
    return doc


def _future() -> str:
    return (date.today() + timedelta(days=3)).isoformat() + " 10:00:00"


BAD = [
    Bad("statement trace empty", "keys_not_null", "settlement", "lakala_20261105.csv",
        lambda: cn_pos_statement(settle_date="2026-11-05").set(1, "凭证号", ""),
        lambda d: d.line_of(1), "凭证号", WARNING, ("trace_no", "empty")),
    Bad("statement line repeated", "keys_unique", "settlement", "lakala_20261105.csv",
        _statement_repeating_a_line, lambda d: d.line_of(2), "终端号+交易批次号+凭证号", CRITICAL,
        ("repeats the key of line 3",)),
    Bad("terminal listed twice", "keys_unique", "reference", "terminals_202611.csv",
        lambda: terminals().set(1, "terminal_id", TERMINAL), lambda d: d.line_of(1),
        "terminal_id", CRITICAL, (TERMINAL,)),
    Bad("journal amount too large", "amounts_in_range", "terminal", "pos_big.csv",
        lambda: pos_journal_v1().set(2, "amount", "20000000.00"), lambda d: d.line_of(2),
        "amount", WARNING, ("20000000.00", "10,000,000")),
    Bad("statement transaction after its settlement", "dates_in_period", "settlement",
        "lakala_20261105.csv",
        lambda: cn_pos_statement(settle_date="2026-11-05").set(3, "交易日期", "2026-11-06"),
        lambda d: d.line_of(3), "交易日期", WARNING, ("2026-11-06", "2026-11-05")),
    Bad("wechat line on another day", "dates_in_period", "settlement", "wx_1104.csv",
        lambda: wechat_bill().set(1, "交易时间", "2026-11-04 13:20:45"), lambda d: d.line_of(1),
        "交易时间", WARNING, ("2026-11-04 13:20:45", "2026-11-03 … 2026-11-03")),
    Bad("alipay line outside the stated period", "dates_in_period", "settlement",
        "alipay_20261103_b.csv",
        lambda: alipay_bill().set(1, "创建时间", "2026-11-05 13:30:15"), lambda d: d.line_of(1),
        "创建时间", WARNING, ("2026-11-05 13:30:15", "起始日期")),
    Bad("journal before earliest_date", "dates_in_period", "terminal", "pos_1999.csv",
        lambda: _journal_at("1999-12-31 23:00:00"), lambda d: d.line_of(3), "txn_time", WARNING,
        ("1999-12-31 23:00:00", "2000-01-01")),
    Bad("journal from the future", "dates_in_period", "terminal", "pos_future.csv",
        lambda: _journal_at(_future()), lambda d: d.line_of(3), "txn_time", WARNING,
        ("the day after the run",)),
    Bad("wechat summary", "summary_ties", "settlement", "wx_1103_b.csv",
        lambda: _wechat_with_summary("应结订单总金额", "999.00"), _wechat_summary_line,
        "应结订单总金额", CRITICAL, ("999.00", "164.80")),
    Bad("alipay footer", "summary_ties", "settlement", "alipay_20261104.csv",
        lambda: _alipay_with_footer("交易合计元", "1000.00"), _alipay_trade_footer_line,
        "商家实收", CRITICAL, ("1000.00", "1082.00")),
    Bad("adyen payout", "summary_ties", "settlement", "adyen_batch_43.csv",
        lambda: adyen_sdr().set(5, "Net Debit (NC)", "300.00"), lambda d: d.line_of(5),
        "Net Debit (NC)", CRITICAL, ("300.00", "292.99", "batch 42")),
    Bad("bank balance skips", "balance_chain", "bank", "icbc_202611_b.csv",
        lambda: bank_statement().set(2, "余额", "21593.48"), lambda d: d.line_of(2), "余额",
        CRITICAL, ("21593.48", "21593.47", "2 failing lines")),
]


@pytest.mark.parametrize("bad", BAD, ids=[b.id for b in BAD])
def test_a_bad_file_is_refused_and_the_rest_loads(landing, con, dq, bad):
    placed = landing.put_good()
    doc = bad.build()
    name = landing.put(bad.folder, bad.name, doc)
    report = _ingest(landing, con, dq)
    statuses = _statuses(con)
    assert statuses.pop(name) == "QUARANTINED"
    assert statuses == dict.fromkeys(placed, "LOADED")
    entry = _entry(con, name)
    line = bad.line(doc)
    assert (entry["error_check"], entry["error_severity"]) == (bad.check, bad.severity)
    assert (entry["error_line"], entry["error_field"]) == (line, bad.field)
    assert entry["error"].startswith(f"{name}, line {line}, field {bad.field}: {bad.check} "
                                     f"failed ({bad.severity}): ")
    for word in bad.words:
        assert word in entry["error"], entry["error"]
    assert entry["rows_loaded"] == 0 and entry["rows_read"] > 0
    assert not sensitive_in(entry["error"])
    # the report: a FAILED result for the file, and the batch's summary says it failed
    [failed] = [r for r in report.checks if r.status == FAILED and r.file_name == name]
    assert (failed.check, failed.line_no, failed.field, failed.severity) == (
        bad.check, line, bad.field, bad.severity)
    assert failed.detail and failed.suite.startswith("incoming.")
    summary = [r for r in report.checks if r.file_name is None and r.suite == failed.suite]
    assert {r.check: r.status for r in summary}[bad.check] == FAILED
    assert all(r.status == PASSED for r in summary if r.check != bad.check)
    assert not sensitive_in(" ".join(r.describe() for r in report.checks))
    assert varchar_leaks(con) == []


@dataclass(frozen=True)
class Masked:
    """A card number where people write free text, and where the warning must point."""

    id: str
    folder: str
    name: str
    build: Callable[[], Doc | str]
    line: int
    field: str
    table: str
    column: str
    pan: str


def _event_with_card() -> str:
    lines = terminal_events_lines()
    lines[3] = lines[3].replace("网络中断", f"交易中断 卡号{PAN_VISA}")
    return "\n".join(lines) + "\n"


MASKED_CASES = [
    Masked("bank memo", "bank", "icbc_202611.csv",
           lambda: bank_statement().set(2, "备注", f"退款至卡号{PAN_VISA}。"), 4, "备注",
           "bank_statement_cn", "memo", PAN_VISA),
    Masked("statement remark", "settlement", "lakala_20261104.csv",
           lambda: cn_pos_statement().set(0, "商户备注", f"顾客卡{PAN_MC}"), 2, "商户备注",
           "cn_pos_statement", "merchant_remark", PAN_MC),
    Masked("wechat product", "settlement", "1900000109All2026-11-03.csv",
           lambda: wechat_bill().set(1, "商品名称", f"卡 {PAN_VISA} 蛋糕"), 3, "商品名称",
           "wechat_bill", "product_name", PAN_VISA),
    Masked("alipay remark", "settlement", "alipay_20261103.csv",
           lambda: alipay_bill().set(1, "备注", PAN_UNIONPAY), 7, "备注", "alipay_bill",
           "remark", PAN_UNIONPAY),
    Masked("adyen column kept as it came", "settlement", "adyen_batch_42.csv",
           lambda: adyen_sdr().set(0, "Reserved4", f"card {PAN_VISA}"), 2, "Reserved4",
           "adyen_sdr", "extra_columns", PAN_VISA),
    Masked("event detail", "events", "events_20261103.jsonl", _event_with_card, 4, "detail",
           "terminal_events", "detail", PAN_VISA),
]


@pytest.mark.parametrize("case", MASKED_CASES, ids=[c.id for c in MASKED_CASES])
def test_a_card_number_in_free_text_is_masked_and_the_file_loads(landing, con, dq, case):
    name = landing.put(case.folder, case.name, case.build())
    journal = landing.put("terminal", "pos_53990011_20261103.csv", pos_journal_v1())
    report = _ingest(landing, con, dq)
    assert _statuses(con) == {name: "LOADED", journal: "LOADED"}
    entry = _entry(con, name)
    assert entry["error"] is None and entry["error_check"] is None
    assert entry["rows_loaded"] == entry["rows_read"] > 0
    # a warning naming the file, line and field; never the number
    failed = [r for r in report.checks if r.failed and r.file_name == name]
    assert [(r.check, r.severity, r.line_no, r.field) for r in failed] == [
        ("card_numbers_masked", WARNING, case.line, case.field)]
    assert "masked" in (failed[0].detail or "")
    summary = {r.check: r.status for r in report.checks
               if r.file_name is None and r.suite == failed[0].suite}
    assert summary.pop("card_numbers_masked") == FAILED
    assert set(summary.values()) == {PASSED}
    assert not sensitive_in(" ".join(r.describe() for r in report.checks))
    # the value is kept, masked where the number stood
    [stored] = con.execute(f"select {case.column} from raw.{case.table} where line_no = ?",
                           [case.line]).fetchone()
    assert case.pan not in stored and mask_pan(case.pan) in stored
    assert varchar_leaks(con) == []


def test_identifiers_that_look_like_card_numbers_load_as_they_are(landing, con, dq):
    # A host's 12-digit RRN that starts like a Visa card and passes Luhn, and a till's 19-digit
    # order number that is Luhn-valid with a UnionPay prefix: identifiers, checked by format.
    order = PAN_UNIONPAY
    names = [
        landing.put("terminal", "pos_53990011_20261103.csv",
                    pos_journal_v1().set(3, "orig_rrn", "468350986781").set(2, "order_no", order)),
        landing.put("settlement", "lakala_20261104.csv",
                    cn_pos_statement().set(3, "订单号", order)),
        landing.put("settlement", "1900000109All2026-11-03.csv",
                    wechat_bill().set(0, "商户订单号", order).set(2, "商户订单号", order)),
    ]
    report = _ingest(landing, con, dq)
    assert _statuses(con) == dict.fromkeys(names, "LOADED")
    assert [r.describe() for r in report.checks if r.failed] == []
    assert con.execute("select orig_rrn, order_no from raw.pos_journal_v1 where line_no in (4, 5) "
                       "order by line_no").fetchall() == [(None, order), ("468350986781", None)]
    assert con.execute("select order_no from raw.cn_pos_statement where line_no = 5"
                       ).fetchone() == (order,)
    assert con.execute("select count(*) from raw.wechat_bill where order_no = ?",
                       [order]).fetchone() == (2,)


def test_a_card_number_a_parser_left_in_free_text_is_refused(landing, con, dq, monkeypatch):
    # Ingest masks free text as it parses it: a parser that drifted and wrote text afterwards is
    # what the no_card_numbers check is left to catch.
    finish = BankStatementCn.finish
    monkeypatch.setattr(BankStatementCn, "finish", lambda self, src, frame: finish(
        self, src, frame).with_columns(pl.lit(f"卡号 {PAN_VISA}").alias("memo")))
    bank = landing.put("bank", "icbc_202611.csv", bank_statement())
    journal = landing.put("terminal", "pos.csv", pos_journal_v1())
    _ingest(landing, con, dq)
    assert _statuses(con) == {bank: "QUARANTINED", journal: "LOADED"}
    entry = _entry(con, bank)
    assert (entry["error_check"], entry["error_severity"]) == ("no_card_numbers", WARNING)
    assert (entry["error_line"], entry["error_field"]) == (2, "备注")
    assert "(4 failing lines: 2, 3, 4, 5)" in entry["error"]
    assert not sensitive_in(entry["error"])


@pytest.mark.parametrize("drift,column,shown", [
    (lambda f: f.with_columns(pl.col("amount").cast(pl.Float64)), "amount", "DOUBLE"),
    (lambda f: f.drop("currency"), "currency", "(missing)"),
])
def test_column_of_the_wrong_type_is_refused(landing, con, dq, monkeypatch, drift, column,
                                             shown):
    # No file makes a parser produce the wrong type or leave a column out: a parser that
    # drifted does.
    monkeypatch.setattr(PosJournalV1, "finish", lambda self, src, frame: drift(frame))
    journal = landing.put("terminal", "pos.csv", pos_journal_v1())
    good = landing.put("bank", "icbc_202611.csv", bank_statement())
    report = _ingest(landing, con, dq)
    assert _statuses(con) == {journal: "QUARANTINED", good: "LOADED"}
    entry = _entry(con, journal)
    assert (entry["error_check"], entry["error_severity"]) == ("columns_typed", WARNING)
    assert (entry["error_line"], entry["error_field"]) == (None, column)
    assert entry["error"].startswith(f"{journal}, field {column}: columns_typed failed")
    assert shown in entry["error"]
    [failed] = [r for r in report.checks if r.failed and r.file_name == journal]
    assert (failed.suite, failed.check, failed.field) == (
        "incoming.pos_journal_v1.controls", "columns_typed", column)


def test_several_failures_are_named_critical_first(landing, con, dq):
    doc = pos_journal_v1().set(1, "txn_time", "1999-12-31 23:00:00")
    doc.set(2, "amount", "20000000.00").set(4, "amount", "30000000.00")
    doc.rows.append(list(doc.rows[3]))
    name = landing.put("terminal", "pos.csv", doc)
    _ingest(landing, con, dq)
    entry = _entry(con, name)
    assert entry["error_check"] == "keys_unique,amounts_in_range,dates_in_period"
    assert entry["error_severity"] == CRITICAL
    assert entry["error_line"] == doc.line_of(5)
    error = entry["error"]
    assert "also failed: amounts_in_range (warning, line 4), dates_in_period (warning, line 3)" \
        in error
    assert "(2 failing lines: 4, 6)" not in error  # only the first check is told in full
    assert not sensitive_in(error)


def test_the_policy_sets_severity_and_limit(landing, con, dq):
    config = DQConfig(incoming_critical=frozenset({"amounts_in_range"}), amount_limit=1000)
    name = landing.put("terminal", "pos.csv", pos_journal_v1())
    bank = landing.put("bank", "icbc.csv", bank_statement().set(2, "余额", "1.00"))
    report = _ingest(landing, con, dq, config)
    journal = _entry(con, name)
    assert (journal["error_check"], journal["error_severity"]) == ("amounts_in_range", CRITICAL)
    assert "1288.50, outside ±1,000" in journal["error"]
    # balance_chain is critical in dq.yml, not in this policy
    assert (_entry(con, bank)["error_check"], _entry(con, bank)["error_severity"]) == (
        "balance_chain", WARNING)
    assert {r.severity for r in report.checks if r.check == "balance_chain"} == {WARNING}


def test_refused_then_corrected_file_loads(landing, con, dq):
    name = landing.put("bank", "icbc_202611.csv", bank_statement().set(2, "余额", "21593.48"))
    _ingest(landing, con, dq)
    assert _entry(con, name)["error_check"] == "balance_chain"
    landing.put("bank", "icbc_202611.csv", bank_statement())
    report = _ingest(landing, con, dq)
    assert [(o.file_name, o.status) for o in report.outcomes] == [(name, "LOADED")]
    rows = con.execute("select status, error_check from raw.file_manifest "
                       "order by first_seen_at").fetchall()
    assert rows == [("QUARANTINED", "balance_chain"), ("LOADED", None)]
    assert con.execute("select count(*) from raw.bank_statement_cn").fetchone()[0] == 4


def test_same_decisions_in_many_small_windows(tmp_path, dq, monkeypatch):
    """Windows of a few rows: the same files load, repeat, supersede and are refused as in
    one window, and every window is checked."""

    def build(root: Path) -> Landing:
        zone = Landing(root)
        zone.put_good()
        zone.put("settlement", "lakala_20261104 (1).csv", cn_pos_statement())  # duplicate
        zone.put("settlement", "lakala_20261104_corrected.csv",
                 cn_pos_statement().set(1, "手续费", "2.00").set(1, "结算金额", "348.00"))
        zone.put("bank", "icbc_b.csv", bank_statement().set(2, "余额", "1.00"))
        zone.put("settlement", "lakala_m2.csv", cn_pos_statement(merchant=MERCHANT_2))
        return zone

    results = []
    for flush in (landing_module.FLUSH_ROWS, 4):
        monkeypatch.setattr(landing_module, "FLUSH_ROWS", flush)
        zone = build(tmp_path / f"landing_{flush}")
        with duckdb.connect(str(tmp_path / f"w_{flush}.duckdb")) as con:
            report = _ingest(zone, con, dq)
            manifest = con.execute(
                "select file_name, status, error_check, duplicate_of is not null, "
                "superseded_by is not null from raw.file_manifest order by file_name"
            ).fetchall()
            rows = scalar(con, "select count(*) from raw.cn_pos_statement")
        results.append((manifest, rows, {r.batch.split(" · ")[0] for r in report.checks}))
    (one, one_rows, one_windows), (many, many_rows, many_windows) = results
    assert many == one and many_rows == one_rows == 8
    assert one_windows == {"window 1"} and len(many_windows) > 5
    statuses = {name: status for name, status, *_ in one}
    assert statuses["settlement/lakala_20261104.csv"] == "SUPERSEDED"
    assert statuses["settlement/lakala_20261104 (1).csv"] == "DUPLICATE"
    assert statuses["bank/icbc_b.csv"] == "QUARANTINED"


def test_every_failing_file_is_named_when_few_rows_are_listed(landing, con, dq, monkeypatch):
    # GX results list a bounded number of failing rows; files past it are found by validating
    # again without the files already named.
    monkeypatch.setattr(core, "MAX_FAILING_ROWS", 1)
    bad = [landing.put("terminal", f"pos_{i}.csv", pos_journal_v1()
                       .set(0, "amount", "20000000.00").set(2, "amount", "20000000.00")
                       .set(0, "terminal_id", f"5399000{i}").set(1, "terminal_id", f"5399000{i}")
                       .set(2, "terminal_id", f"5399000{i}"))
           for i in range(3)]
    good = landing.put("terminal", "pos_good.csv", pos_journal_cn())
    report = _ingest(landing, con, dq)
    assert _statuses(con) == {**dict.fromkeys(bad, "QUARANTINED"), good: "LOADED"}
    for name in bad:
        entry = _entry(con, name)
        assert entry["error_check"] == "amounts_in_range" and entry["error_line"] == 2
        assert "(at least 1 failing lines: 2)" in entry["error"]  # GX listed one row per run
    summary = [r for r in report.checks if r.check == "amounts_in_range" and r.file_name is None
               and r.suite == "incoming.pos_journal_v1"]
    assert [r.observed for r in summary] == ["6 of 15 rows failed, in 3 of 3 files"]


def test_checks_can_be_switched_off_to_measure_them(landing, con, dq):
    name = landing.put("settlement", "wx.csv", _wechat_with_summary("应结订单总金额", "999.00"))
    report = _ingest(landing, con, dq, checks=False)
    assert report.checks == [] and report.check_seconds == 0
    assert _entry(con, name)["status"] == "LOADED"


def test_unreadable_file_is_a_parse_warning(landing, con, dq):
    name = landing.put("settlement", "mystery.csv", b"id,amount\n1,2\n")
    report = _ingest(landing, con, dq)
    entry = _entry(con, name)
    assert (entry["status"], entry["error_check"], entry["error_severity"]) == (
        "QUARANTINED", "parse", WARNING)
    assert [(o.error_check, o.error_severity) for o in report.outcomes] == [("parse", WARNING)]


def test_an_older_manifest_gains_the_columns(landing, con, dq):
    con.execute("create schema raw")
    con.execute("create table raw.file_manifest (file_id varchar not null, file_name varchar "
                "not null, sha256 varchar not null, status varchar not null)")
    name = landing.put("bank", "icbc.csv", bank_statement().set(2, "余额", "1.00"))
    _ingest(landing, con, dq)
    assert _entry(con, name)["error_check"] == "balance_chain"


def test_check_names_are_the_contract():
    # dq.yml and dq_check_results.check_name use these names.
    assert CHECKS == ("columns_typed", "keys_not_null", "keys_unique", "amounts_in_range",
                      "dates_in_period", "summary_ties", "balance_chain", "no_card_numbers",
                      "card_numbers_masked")
    critical = DQConfig.load().incoming_critical
    assert critical <= set(CHECKS)


def test_a_hash_collision_refuses_nothing():
    # Keys reach pandas as hashes; a repeat is confirmed on the values before it counts.
    layout = BY_NAME["bank_statement_cn"]
    frame = pl.DataFrame({"file_idx": [0, 0, 0], "line_no": [2, 3, 4],
                          "serial_no": ["B1", "B2", "B2"]})
    run = _BatchRun("incoming.bank_statement_cn", "test", layout,
                    list(row_checks(layout, DQConfig())), frame, ROW_INDEX, [0])
    run.failing["keys_unique"] = {(0, 2), (0, 3), (0, 4)}  # as if B1 hashed like B2
    run.unexpected["keys_unique"] = 3
    run._confirm_repeats()
    assert run.failing["keys_unique"] == {(0, 3), (0, 4)}
    assert run.unexpected["keys_unique"] == 2
