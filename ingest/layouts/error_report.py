"""``error_report``: the error transaction report form filed by store staff (CSV or XLSX)."""

from __future__ import annotations

import io
from typing import ClassVar

import polars as pl

from posaudit.ingest.cardsafe import CardKey
from posaudit.ingest.errors import IngestError
from posaudit.ingest.layouts.base import CsvLayout, Parsed
from posaudit.ingest.layouts.formats import (
    ACCOUNT,
    REFERENCE,
    TYPED_RRN,
    TYPED_TERMINAL_ID,
    TYPED_TRACE,
)
from posaudit.ingest.source import SourceFile
from posaudit.ingest.table import Field, StringTable, cast_fields, norm

FIELDS = (
    Field("report_id", "report_id", required=True, pattern=REFERENCE),
    Field("reported_at", "reported_at", kind="datetime", required=True),
    Field("reporter_name", "reporter_name", free_text=True),
    Field("reporter_role", "reporter_role", free_text=True),
    Field("merchant_id", "merchant_id", pattern=ACCOUNT),
    Field("terminal_id", "terminal_id", pattern=TYPED_TERMINAL_ID),
    Field("txn_time", "txn_time", kind="datetime"),
    Field("trace_no", "trace_no", pattern=TYPED_TRACE),
    Field("rrn", "rrn", pattern=TYPED_RRN),
    Field("amount", "amount", kind="money"),
    Field("error_type", "error_type", free_text=True),
    Field("description", "description", free_text=True),
    Field("evidence_ref", "evidence_ref", free_text=True),
)


class ErrorReport(CsvLayout):
    name = "error_report"
    table = "error_report"
    folders = ("reports",)
    markers: ClassVar[frozenset[str]] = frozenset(
        {"report_id", "reported_at", "terminal_id", "error_type", "description"}
    )
    fields = FIELDS

    def detect(self, src: SourceFile, head: str) -> bool:
        if src.is_xlsx:
            header = _xlsx_rows(src, limit=1)
            return bool(header) and self.markers <= {norm(h) for h in header[0][1]}
        return super().detect(src, head)

    def parse(self, src: SourceFile, key: CardKey) -> Parsed:
        if not src.is_xlsx:
            return super().parse(src, key)
        rows = _xlsx_rows(src)
        if not rows:
            raise IngestError(src.display_name, 1, None, "the workbook's first sheet is empty")
        header_line, header = rows[0]
        data = [(n, r) for n, r in rows[1:] if any(c for c in r)]
        ncols = len(header)
        cols = {
            f"c{i}": pl.Series([(r[i] if i < len(r) else None) or None for _, r in data],
                               dtype=pl.String)
            for i in range(ncols)
        }
        table = StringTable(
            file=src.display_name, header=[norm(h) for h in header], header_line=header_line,
            frame=pl.DataFrame(cols).with_columns(
                pl.Series("line_no", [n for n, _ in data], dtype=pl.Int64)
            ),
        )
        frame = cast_fields(table, FIELDS)
        return Parsed(self.name, frame, rows_read=len(data))


def _xlsx_rows(src: SourceFile, limit: int | None = None) -> list[tuple[int, list[str]]]:
    """Rows of the first sheet as text, with their row numbers (the "line" of a workbook)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(src.data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise IngestError(src.display_name, None, None, f"unreadable workbook: {exc}") from None
    sheet = book.worksheets[0]
    out: list[tuple[int, list[str]]] = []
    for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        out.append((n, ["" if v is None else _cell_text(v) for v in row]))
        if limit and len(out) >= limit:
            break
    book.close()
    return out


def _cell_text(value: object) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
