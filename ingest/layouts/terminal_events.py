"""``terminal_events``: terminal event logs as JSON Lines."""

from __future__ import annotations

import json

import polars as pl

from posaudit.ingest.errors import IngestError
from posaudit.ingest.layouts.base import Layout, Parsed, first_line
from posaudit.ingest.layouts.formats import TERMINAL_ID
from posaudit.ingest.source import SourceFile
from posaudit.ingest.table import Field, StringTable, cast_fields

EVENT_TYPES = (
    "BOOT", "OFFLINE", "ONLINE", "ERROR", "SIGN_IN", "SIGN_IN_FAILED", "KEY_SYNC_FAILED",
    "PAPER_OUT", "FIRMWARE_UPDATE", "SETTLEMENT_CLOSE",
)
FIELDS = (
    Field("terminal_id", "terminal_id", required=True, pattern=TERMINAL_ID),
    Field("event_time", "event_time", kind="datetime", required=True, fmt="%Y-%m-%d %H:%M:%S"),
    Field("event_type", "event_type", required=True, values=EVENT_TYPES),
    Field("detail", "detail", free_text=True),
)


class TerminalEvents(Layout):
    name = "terminal_events"
    table = "terminal_events"
    folders = ("events",)
    fields = FIELDS

    def detect(self, src: SourceFile, head: str) -> bool:
        line = first_line(head).strip()
        return line.startswith("{") and '"event_type"' in line and '"terminal_id"' in line

    def parse(self, src: SourceFile, key: object) -> Parsed:
        name = src.display_name
        lines = pl.Series("l", src.text.split("\n")).str.strip_chars("\r \t")
        frame = pl.DataFrame({"l": lines}).with_row_index("i")
        frame = frame.filter(pl.col("l").str.len_bytes() > 0)
        text = frame["l"]
        not_object = ~(text.str.starts_with("{") & text.str.ends_with("}"))
        if not_object.any():
            i = int(frame["i"][int(not_object.arg_true()[0])])
            raise IngestError(name, i + 1, None, "not a JSON object")
        cells = {
            f"c{k}": text.str.json_path_match(f"$.{f.source}") for k, f in enumerate(FIELDS)
        }
        # json_path_match gives null for broken JSON too: tell that apart from a missing key.
        for k in cells["c0"].is_null().arg_true().to_list():
            try:
                json.loads(text[k])
            except json.JSONDecodeError as exc:
                raise IngestError(name, int(frame["i"][k]) + 1, None,
                                  f"not valid JSON: {exc.msg}") from None
        table = StringTable(
            file=name, header=[f.source for f in FIELDS], header_line=0,
            frame=pl.DataFrame(cells).with_columns(
                (frame["i"].cast(pl.Int64) + 1).alias("line_no")
            ),
        )
        typed = cast_fields(table, FIELDS)
        return Parsed(self.name, typed, rows_read=frame.height)
