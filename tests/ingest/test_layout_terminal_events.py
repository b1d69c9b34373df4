"""``terminal_events``: terminal event logs as JSON Lines (UTF-8)."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl
import pytest

from tests.helpers.raw_docs import assert_error
from tests.helpers.raw_terminal import terminal_events, terminal_events_lines
from tests.helpers.raw_values import PAN_VISA


def _jsonl(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_detected_from_content(parse_file):
    loaded = parse_file(terminal_events(), name="events_20261103.log", folder="events")
    assert loaded.layout == "terminal_events"


def test_typed_columns_and_lineage(parse_file):
    frame = parse_file(terminal_events(), folder="events").frame
    assert frame.height == 5
    assert frame["line_no"].to_list() == [1, 2, 3, 4, 5]
    assert frame.schema["event_time"] == pl.Datetime("us")
    assert frame["event_time"][0] == datetime(2026, 11, 3, 7, 58)
    assert frame["event_type"].to_list() == [
        "BOOT", "SIGN_IN", "PAPER_OUT", "OFFLINE", "SETTLEMENT_CLOSE",
    ]
    assert frame["terminal_id"][3] == "53990012"
    assert frame["detail"][2] == "打印机缺纸"
    assert frame["detail"][4] == "batch_no=000123 count=5 amount=1524.51"


def test_bom_crlf_and_blank_lines(parse_file):
    lines = terminal_events_lines()
    text = "\ufeff" + "\r\n".join([lines[0], "", lines[1], "   ", *lines[2:]]) + "\r\n\r\n"
    frame = parse_file(text.encode("utf-8"), folder="events").frame
    assert frame["line_no"].to_list() == [1, 3, 5, 6, 7]
    assert frame["detail"][0] == "开机自检通过"


def test_key_order_and_extra_keys_do_not_matter(parse_file):
    lines = terminal_events_lines()
    record = json.loads(lines[1])
    record = {"firmware": "V2.3.1", **dict(reversed(list(record.items())))}
    lines[1] = json.dumps(record, ensure_ascii=False)
    frame = parse_file(_jsonl(lines), folder="events").frame
    assert frame["event_type"][1] == "SIGN_IN"


def test_detail_may_be_missing(parse_file):
    lines = terminal_events_lines()
    lines[0] = '{"terminal_id": "53990011", "event_time": "2026-11-03 07:58:00", ' \
               '"event_type": "BOOT"}'
    frame = parse_file(_jsonl(lines), folder="events").frame
    assert frame["detail"][0] is None


def test_card_number_in_detail_is_masked(parse_file):
    lines = terminal_events_lines()
    lines[3] = lines[3].replace("网络中断", f"交易中断 卡号{PAN_VISA}")
    frame = parse_file(_jsonl(lines), folder="events").frame
    assert PAN_VISA not in frame["detail"][3]
    assert "411111******1111" in frame["detail"][3]


def test_unknown_event_type(parse_error):
    lines = terminal_events_lines()
    lines[2] = lines[2].replace("PAPER_OUT", "PAPER_JAM")
    err = parse_error(_jsonl(lines), folder="events")
    assert_error(err, 3, "event_type", "expected one of")


def test_bad_event_time(parse_error):
    lines = terminal_events_lines()
    lines[3] = lines[3].replace("2026-11-03 13:02:44", "2026-11-03T13:02:44+08:00")
    assert_error(parse_error(_jsonl(lines), folder="events"), 4, "event_time")


def test_bad_terminal_id(parse_error):
    lines = terminal_events_lines()
    lines[1] = lines[1].replace('"53990011"', '"5399"')
    assert_error(parse_error(_jsonl(lines), folder="events"), 2, "terminal_id")


def test_missing_key(parse_error):
    lines = terminal_events_lines()
    lines[4] = lines[4].replace('"event_type": ', '"type": ')
    assert_error(parse_error(_jsonl(lines), folder="events"), 5, "event_type", "required")


@pytest.mark.parametrize("bad", [
    "not json at all",
    '{"terminal_id": "53990011", "event_time": "2026-11-03 12:00:00"',  # cut
    '["53990011", "2026-11-03 12:00:00", "BOOT"]',
])
def test_line_that_is_not_an_object(parse_error, bad):
    lines = terminal_events_lines()
    lines.insert(2, bad)
    assert_error(parse_error(_jsonl(lines), folder="events"), 3, None)


@pytest.mark.parametrize("bad", [
    '{"terminal_id": "53990011", "event_time": "2026-11-03 12:00:00", "event_type": "BOOT",}',
    '{"terminal_id": "53990011" "event_time": "2026-11-03 12:00:00", "event_type": "BOOT"}',
    "{terminal_id: 53990011, event_type: BOOT}",
])
def test_broken_json_is_named_as_such(parse_error, bad):
    lines = terminal_events_lines()
    lines.insert(2, bad)
    err = parse_error(_jsonl(lines), folder="events")
    assert_error(err, 3, None)
    assert "JSON" in err.reason


def test_truncated_file(parse_error):
    data = terminal_events().encode("utf-8")
    cut = data.rindex(b"1524") + 2
    err = parse_error(data[:cut], folder="events")
    assert_error(err, 5, None)
