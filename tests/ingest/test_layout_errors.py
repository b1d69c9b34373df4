"""Errors every delimited layout reports the same way: a row with the wrong number of fields, an
amount with too many decimals, a required value left empty and a required column missing. Each
names the file's physical line and the field (none for a field count)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from posaudit.ingest.errors import IngestError
from posaudit.ingest.layouts import Parsed
from tests.helpers.raw_docs import Doc, assert_error
from tests.helpers.raw_settlement import (
    adyen_sdr,
    alipay_bill,
    bank_statement,
    cn_pos_statement,
    wechat_bill,
)
from tests.helpers.raw_terminal import (
    error_report,
    fee_contracts,
    pos_journal_cn,
    pos_journal_v1,
    terminals,
)


@dataclass(frozen=True)
class Layout:
    name: str
    build: Callable[[], Doc]
    folder: str = "settlement"


ADYEN = Layout("adyen_sdr", adyen_sdr)
ALIPAY = Layout("alipay_bill", alipay_bill)
BANK = Layout("bank_statement_cn", bank_statement, "bank")
CN_STATEMENT = Layout("cn_pos_statement", cn_pos_statement)
ERROR_REPORT = Layout("error_report", error_report, "reports")
FEES = Layout("fee_contracts", fee_contracts, "reference")
JOURNAL_CN = Layout("pos_journal_cn", pos_journal_cn, "terminal")
JOURNAL_V1 = Layout("pos_journal_v1", pos_journal_v1, "terminal")
TERMINALS = Layout("terminals", terminals, "reference")
WECHAT = Layout("wechat_bill", wechat_bill)


@dataclass(frozen=True)
class FieldCount:
    layout: Layout
    row: int
    extra: str | None  # a cell appended to the row; None: the row's last cell is dropped


@pytest.mark.parametrize("case", [
    FieldCount(ADYEN, 2, None),
    FieldCount(ADYEN, 0, ""),  # the first data row, where the header's count is learnt
    FieldCount(ALIPAY, 0, "多余"),
    FieldCount(BANK, 3, None),
    FieldCount(ERROR_REPORT, 0, "多余"),
    FieldCount(JOURNAL_V1, 2, "extra"),
    FieldCount(JOURNAL_V1, 3, None),
    FieldCount(WECHAT, 1, None),
], ids=lambda c: f"{c.layout.name}-row{c.row}-{'long' if c.extra is not None else 'short'}")
def test_wrong_field_count_names_the_line(parse_error: Callable[..., IngestError],
                                          case: FieldCount) -> None:
    doc = case.layout.build()
    if case.extra is None:
        doc.rows[case.row].pop()
    else:
        doc.rows[case.row].append(case.extra)
    err = parse_error(doc, folder=case.layout.folder)
    assert_error(err, doc.line_of(case.row), None, "fields")


@dataclass(frozen=True)
class Decimals:
    layout: Layout
    row: int
    column: str
    value: str
    words: tuple[str, ...]
    reported_as: str | None = None  # the field's name in the error when not the header's
    meta: dict[str, str] = field(default_factory=dict)  # summary totals that still tie


@pytest.mark.parametrize("case", [
    Decimals(ADYEN, 3, "Net Credit (NC)", "19.41230", ("4 decimals",)),
    Decimals(ALIPAY, 1, "订单金额（元）", "1024.000", ("2 decimals",), reported_as="订单金额(元)"),
    Decimals(BANK, 0, "贷方金额", "1428.670", ("2 decimals",)),
    Decimals(CN_STATEMENT, 3, "交易金额", "36.001", ("2 decimals",)),
    Decimals(JOURNAL_CN, 0, "交易金额", "99.900", ()),
    Decimals(WECHAT, 1, "应结订单金额", "128.800", ("2 decimals",),
             meta={"应结订单总金额": "164.80"}),
], ids=lambda c: c.layout.name)
def test_amount_with_too_many_decimals(parse_error: Callable[..., IngestError],
                                       case: Decimals) -> None:
    doc = case.layout.build().set(case.row, case.column, case.value)
    doc.meta.update(case.meta)
    err = parse_error(doc, folder=case.layout.folder)
    assert_error(err, doc.line_of(case.row), case.reported_as or case.column, *case.words)


@pytest.mark.parametrize(("layout", "row", "column"), [
    pytest.param(*case, id=case[0].name) for case in [
    (ADYEN, 4, "Net Currency"),
    (BANK, 1, "交易流水号"),
    (FEES, 0, "effective_from"),
    (JOURNAL_V1, 2, "trace_no"),
]])
def test_missing_required_value(parse_error: Callable[..., IngestError], layout: Layout,
                                 row: int, column: str) -> None:
    doc = layout.build().set(row, column, "")
    assert_error(parse_error(doc, folder=layout.folder), doc.line_of(row), column, "required")


@pytest.mark.parametrize(("layout", "column", "marker"), [
    pytest.param(*case, id=case[0].name + ("-as-layout" if case[2] else "")) for case in [
    (ADYEN, "Creation Date", False),
    (ALIPAY, "创建时间", False),
    (CN_STATEMENT, "交易日期", False),
    (JOURNAL_V1, "currency", False),
    (WECHAT, "手续费", False),
    # Every required column of these is also a detection marker: parsed as the layout directly.
    (BANK, "余额", True),
    (FEES, "effective_from", True),
    (TERMINALS, "merchant_id", True),
]])
def test_missing_required_column_names_the_header(
        parse_error: Callable[..., IngestError], parse_as: Callable[..., Parsed], layout: Layout,
        column: str, marker: bool) -> None:
    doc = layout.build().drop_column(column)
    if marker:
        with pytest.raises(IngestError) as info:
            parse_as(layout.name, doc, folder=layout.folder)
        err = info.value
    else:
        err = parse_error(doc, folder=layout.folder)
    assert_error(err, doc.header_line, column, "missing")
