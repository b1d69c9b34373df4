"""How a table reads on screen (dashboards.table_format and widgets.column_config), without
Streamlit running: codes as terms with the code beside them, identifiers after the business
columns, money, rates, times in the merchant's zone, and a dash for nothing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd

from posaudit.dashboards import table_format
from posaudit.dashboards.widgets import STYLED_CELLS, _cells, column_config

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _exceptions() -> pd.DataFrame:
    return pd.DataFrame({
        "exception_id": ["E-1", "E-2"],
        "trace_no": ["000123", None],
        "exception_type": ["DUPLICATE_CHARGE", "MISSING_DEPOSIT"],
        "status": ["OPEN", "PARTIALLY_RECOVERED"],
        "exposure_amount": [1234567.8, None],
        "exception_rate": [0.0295, 0.5],
        "transactions": [12345, 7],
        "detected_at": pd.to_datetime(["2026-10-03 16:00:00", "2026-10-03 17:30:00"],
                                      utc=True),
        # A system clock (UTC), and the terminal's clock (local), both without a zone.
        "started_at": pd.to_datetime(pd.Series(["2026-10-03 16:00:00", None])),
        "txn_time": pd.to_datetime(pd.Series(["2026-10-03 12:34:56", None])),
        "detail": ["x", None],
    })


def test_codes_read_as_terms_and_identifiers_follow_the_business_columns() -> None:
    shown = table_format.layout(_exceptions(), "zh", SHANGHAI)
    names = list(shown.frame.columns)
    assert names[:3] == ["exception_type", "status", "exposure_amount"]
    assert names[-4:] == ["exception_id", "trace_no", "exception_type_code", "status_code"]
    assert list(shown.frame["exception_type"]) == ["重复扣款", "未入账"]
    assert list(shown.frame["status"]) == ["待处理", "部分追回"]
    # The code stays for analysts, in a column of its own that says so.
    assert list(shown.frame["exception_type_code"]) == ["DUPLICATE_CHARGE", "MISSING_DEPOSIT"]
    labels = {c.name: c for c in shown.columns}
    assert labels["exception_type_code"].label == "差错类型（代码）"
    assert labels["exception_type"].help is not None and "差错类型（代码）" in \
        labels["exception_type"].help
    english = table_format.layout(_exceptions(), "en", SHANGHAI)
    assert list(english.frame["exception_type"]) == ["Duplicate charge", "Missing deposit"]


def test_a_status_column_takes_the_kind_its_values_belong_to() -> None:
    checks = pd.DataFrame({"status": ["PASSED", "FAILED", "ERROR"]})
    files = pd.DataFrame({"status": ["LOADED", "QUARANTINED", "SOMETHING_NEW"]})
    assert list(table_format.layout(checks, "zh", SHANGHAI).frame["status"]) == [
        "通过", "未通过", "出错"]
    # A code without a term reads as itself rather than breaking the page.
    assert list(table_format.layout(files, "zh", SHANGHAI).frame["status"]) == [
        "已装载", "已隔离", "SOMETHING_NEW"]


def test_times_are_shown_in_the_merchant_zone_and_the_header_names_it() -> None:
    shown = table_format.layout(_exceptions(), "zh", SHANGHAI)
    frame = shown.frame
    assert frame["detected_at"].iloc[0] == pd.Timestamp("2026-10-04 00:00:00")
    assert frame["started_at"].iloc[0] == pd.Timestamp("2026-10-04 00:00:00")
    assert frame["txn_time"].iloc[0] == pd.Timestamp("2026-10-03 12:34:56")  # already local
    labels = {c.name: c.label for c in shown.columns}
    assert labels["detected_at"] == "发现时间（Asia/Shanghai）"
    assert labels["txn_time"] == "交易时间（Asia/Shanghai）"
    utc = table_format.layout(_exceptions(), "en", ZoneInfo("UTC"))
    assert utc.frame["detected_at"].iloc[0] == pd.Timestamp("2026-10-03 16:00:00")
    # Case store times are ISO text with an offset.
    trail = pd.DataFrame({"at": ["2026-10-03T16:00:00.000+00:00"]})
    assert table_format.layout(trail, "zh", SHANGHAI).frame["at"].iloc[0] == pd.Timestamp(
        "2026-10-04 00:00:00")


def test_numbers_keep_their_type_and_carry_their_format() -> None:
    shown = table_format.layout(_exceptions(), "zh", SHANGHAI)
    assert pd.api.types.is_float_dtype(shown.frame["exposure_amount"])  # sorts as a number
    config = column_config(shown)
    def fmt(name: str) -> object:
        type_config = config[name]["type_config"]
        assert type_config is not None and type_config["type"] == "number"
        return type_config["format"]

    assert (fmt("exposure_amount"), fmt("exception_rate"), fmt("transactions")) == (
        "%,.2f", "percent", "%,d")
    detected = config["detected_at"]["type_config"]
    assert detected is not None and detected["type"] == "datetime"
    assert config["exception_type_code"]["label"] == "差错类型（代码）"
    text = shown.formatters()
    assert text["exposure_amount"](1234567.8) == "1,234,567.80"
    assert text["exception_rate"](0.0295) == "2.95 %"


def test_blanks_read_as_a_dash() -> None:
    shown = table_format.layout(_exceptions(), "zh", SHANGHAI)
    cells = _cells(shown)
    # A blank number: the grid is given every cell's text (it would write "None").
    assert not isinstance(cells, pd.DataFrame)
    html = cells.to_html()
    assert "None" not in html and "nan" not in html
    assert "—" in html and "1,234,567.80" in html and "2.95 %" in html
    plain = _cells(table_format.layout(pd.DataFrame({"detail": ["x", None]}), "zh", SHANGHAI))
    assert isinstance(plain, pd.DataFrame) and list(plain["detail"]) == ["x", "—"]


def test_case_titles_read_with_terms_and_text_amounts_as_numbers() -> None:
    cases = pd.DataFrame({"case_id": ["C-1", "C-2"], "title": ["DUPLICATE_CHARGE T0001 000123",
                                                            "REPORT OTHER T0002"],
                          "amount": ["27918.06", None]})
    shown = table_format.layout(cases, "zh", SHANGHAI)
    assert list(shown.frame["title"]) == ["重复扣款 T0001 000123", "差错登记 其他 T0002"]
    assert shown.frame["amount"].iloc[0] == 27918.06
    assert {c.name: c.kind for c in shown.columns}["amount"] == table_format.AMOUNT


def test_a_large_table_shows_only_its_blank_numbers_as_text() -> None:
    rows = STYLED_CELLS  # one column of numbers and one of text: twice the styled limit
    big = pd.DataFrame({"net_loss": [1234.5, None] * (rows // 2), "detail": ["x"] * rows})
    cells = _cells(table_format.layout(big, "zh", SHANGHAI))
    assert isinstance(cells, pd.DataFrame)
    assert list(cells["net_loss"].head(2)) == ["1,234.50", "—"]
    full = pd.DataFrame({"net_loss": [1234.5, 2.0] * (rows // 2), "detail": ["x"] * rows})
    kept = _cells(table_format.layout(full, "zh", SHANGHAI))
    assert isinstance(kept, pd.DataFrame) and pd.api.types.is_float_dtype(kept["net_loss"])
