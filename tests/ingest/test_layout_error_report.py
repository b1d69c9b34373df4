"""``error_report``: the error transaction report form (UTF-8 CSV or XLSX)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import polars as pl
import pytest

from tests.helpers.raw_docs import assert_error, xlsx
from tests.helpers.raw_terminal import ERROR_REPORT_HEADER, error_report
from tests.helpers.raw_values import MERCHANT, PAN_VISA, TERMINAL


def _xlsx_rows() -> list[list[object]]:
    return [
        ["ER-20261103-001", datetime(2026, 11, 3, 19, 2), "李娜", "收银员", MERCHANT, TERMINAL,
         datetime(2026, 11, 3, 18, 45, 59), "000105", None, 0.01, "DUPLICATE_CHARGE",
         f"顾客称卡号{PAN_VISA}被扣款两次", "小票照片 IMG_20261103_1902.jpg"],
        [None] * 13,  # an empty row in the middle of the sheet
        ["ER-20261103-002", "2026-11-03 20:15:30", "赵强", "店长", MERCHANT, "53990012", None,
         None, None, 1288.5, "终端离线", "下午终端离线约半小时", "工单 #4471"],
        ["ER-20261103-003", datetime(2026, 11, 4, 9, 0), "李娜", "收银员", MERCHANT, TERMINAL,
         None, "000101", "311203456789", 100, "金额错误", "输入金额多打一个零", None],
    ]


def test_csv_detected_and_typed(parse_file):
    doc = error_report()
    loaded = parse_file(doc, name="报告.csv", folder="reports")
    assert loaded.layout == "error_report"
    frame = loaded.frame
    assert frame["line_no"].to_list() == [2, 3]
    assert frame.schema["reported_at"] == pl.Datetime("us")
    assert frame["reported_at"][0] == datetime(2026, 11, 3, 19, 2)
    assert frame["txn_time"].to_list() == [datetime(2026, 11, 3, 18, 45, 59), None]
    assert frame.schema["amount"] == pl.Decimal(18, 2)
    assert frame["amount"].to_list() == [Decimal("0.01"), None]
    assert frame["error_type"].to_list() == ["DUPLICATE_CHARGE", "终端离线"]
    assert frame["trace_no"][0] == "000105"


def test_card_number_typed_into_description_is_masked(parse_file):
    frame = parse_file(error_report(), folder="reports").frame
    assert frame["description"][0] == "顾客称卡号411111******1111被扣款两次"
    assert PAN_VISA not in str(frame.rows())


def test_csv_with_quotes_commas_and_newlines(parse_file):
    doc = error_report().set(1, "description", '顾客说"没有收到小票",\n要求退款')
    doc.rows.append(["ER-20261103-009", "2026-11-03 21:00:00", "李娜", "收银员", MERCHANT,
                     TERMINAL, "", "", "", "5", "其他", "无", ""])
    frame = parse_file(doc, folder="reports").frame
    assert frame["description"][1] == '顾客说"没有收到小票",\n要求退款'
    # a quoted cell spanning two lines: the next record starts two lines later
    assert frame["line_no"].to_list() == [2, 3, 5]


def test_xlsx_detected_and_typed(parse_file):
    data = xlsx(ERROR_REPORT_HEADER, _xlsx_rows())
    loaded = parse_file(data, name="error_report_202611.xlsx", folder="reports")
    assert loaded.layout == "error_report"
    frame = loaded.frame
    # worksheet row numbers are the lines; the empty row 3 is skipped
    assert frame["line_no"].to_list() == [2, 4, 5]
    assert frame["reported_at"].to_list() == [
        datetime(2026, 11, 3, 19, 2), datetime(2026, 11, 3, 20, 15, 30),
        datetime(2026, 11, 4, 9, 0),
    ]
    assert frame["amount"].to_list() == [Decimal("0.01"), Decimal("1288.50"), Decimal("100")]
    assert frame["description"][0] == "顾客称卡号411111******1111被扣款两次"
    assert frame["evidence_ref"][2] is None


def test_xlsx_detected_whatever_its_name(parse_file):
    data = xlsx(ERROR_REPORT_HEADER, _xlsx_rows())
    assert parse_file(data, name="upload.bin", folder="reports").layout == "error_report"


def test_xlsx_bad_cell_names_row_and_column(parse_error):
    rows = _xlsx_rows()
    rows[2][1] = "昨天晚上"
    err = parse_error(xlsx(ERROR_REPORT_HEADER, rows), name="r.xlsx", folder="reports")
    assert_error(err, 4, "reported_at")


def test_xlsx_amount_with_three_decimals(parse_error):
    rows = _xlsx_rows()
    rows[3][9] = 12.345
    err = parse_error(xlsx(ERROR_REPORT_HEADER, rows), name="r.xlsx", folder="reports")
    assert_error(err, 5, "amount", "2 decimals")


def test_xlsx_missing_report_id(parse_error):
    rows = _xlsx_rows()
    rows[0][0] = None
    err = parse_error(xlsx(ERROR_REPORT_HEADER, rows), name="r.xlsx", folder="reports")
    assert_error(err, 2, "report_id", "required")


@pytest.mark.parametrize("column,value,words", [
    ("reported_at", "2026-11-03 25:00:00", ()),
    ("amount", "0.015", ("2 decimals",)),
    ("txn_time", "11月3日", ()),
    ("report_id", "", ("required",)),
])
def test_csv_bad_values(parse_error, column, value, words):
    doc = error_report().set(1, column, value)
    assert_error(parse_error(doc, folder="reports"), doc.line_of(1), column, *words)


def test_truncated_utf8_file_names_the_cut_line(parse_error):
    doc = error_report()
    data = doc.data()
    cut = data.rindex("工单".encode()) + 4  # inside 单, on the last line
    err = parse_error(data[:cut], folder="reports")
    assert_error(err, doc.line_of(1), None)
    assert "truncated" in err.reason
