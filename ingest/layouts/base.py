"""What every raw layout provides: how to recognise it, how to parse it, its raw table."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

import polars as pl

from posaudit.ingest.cardsafe import CardKey
from posaudit.ingest.errors import IngestError
from posaudit.ingest.source import SourceFile
from posaudit.ingest.table import Field, StringTable, cast_fields, ddl_type, norm, read_delimited


@dataclass(frozen=True)
class Control:
    """A total a file states about itself (a summary row, a footer, a payout line) beside what
    its lines add up to. Whether the two agree is a data-quality check, not a parse error:
    the file is read either way and the check says what does not tie."""

    line_no: int
    field: str  # the file's own name for the total (应结订单总金额, Net Debit (NC))
    label: str  # what is totalled, in words
    stated: Decimal
    actual: Decimal


@dataclass
class Parsed:
    """A file that parsed cleanly: typed rows (with ``line_no``) ready for its raw table."""

    layout: str
    frame: pl.DataFrame
    rows_read: int
    # The logical file this content belongs to; new content for the same scope supersedes the
    # old. None means "the file's own path".
    scope_key: str | None = None
    controls: list[Control] = field(default_factory=list)


class Layout(ABC):
    name: ClassVar[str]
    table: ClassVar[str]
    folders: ClassVar[tuple[str, ...]]
    fields: ClassVar[Sequence[Field]]

    @abstractmethod
    def detect(self, src: SourceFile, head: str) -> bool:
        """True when the file's content (``head``: its first characters) is this layout."""

    @abstractmethod
    def parse(self, src: SourceFile, key: CardKey) -> Parsed:
        """Parse the whole file or raise :class:`IngestError` naming file, line and field."""

    def extra_columns(self) -> list[tuple[str, str]]:
        """Columns the layout derives beyond its fields (name, DuckDB type)."""
        return []

    def dropped_columns(self) -> set[str]:
        """Field columns that are parsed (for checks) but not stored."""
        return set()

    def ddl(self) -> list[tuple[str, str]]:
        cols: list[tuple[str, str]] = [
            ("file_id", "VARCHAR NOT NULL"), ("line_no", "INTEGER NOT NULL")
        ]
        dropped = self.dropped_columns()
        for f in self.fields:
            cols.extend(c for c in ddl_type(f) if c[0] not in dropped)
        cols.extend(self.extra_columns())
        return cols


def first_line(head: str) -> str:
    for line in head.lstrip("\ufeff").splitlines():
        if line.strip():
            return line
    return ""


def header_names(line: str, sep: str = ",") -> set[str]:
    return {norm(h) for h in line.split(sep)}


def fail_where(table_file: str, frame: pl.DataFrame, bad: pl.Series, field: str, why: str) -> None:
    """Raise for the first row flagged in ``bad`` (a boolean Series aligned with ``frame``)."""
    if bad.any():
        i = int(bad.arg_true()[0])
        raise IngestError(table_file, int(frame["line_no"][i]), field, why)


class CsvLayout(Layout):
    """A header line then one record per line: most layouts. Subclasses list their fields and
    the header names that identify them, and may add checks and derived columns."""

    markers: ClassVar[frozenset[str]]
    sep: ClassVar[str] = ","

    def detect(self, src: SourceFile, head: str) -> bool:
        return self.markers <= header_names(first_line(head), self.sep)

    def read(self, src: SourceFile) -> StringTable:
        # UTF-8 files go to the reader as bytes (no decode/encode round trip); GBK as text.
        # The header is the first non-blank line; count the lines before it.
        body: str | bytes
        if src.encoding == "utf-8":
            data = src.data.removeprefix(b"\xef\xbb\xbf")
            skipped = len(data) - len(data.lstrip(b"\r\n"))
            first, body = 1 + data[:skipped].count(b"\n"), data[skipped:]
        else:
            text = src.text
            skipped = len(text) - len(text.lstrip("\r\n"))
            first, body = 1 + text[:skipped].count("\n"), text[skipped:]
        return read_delimited(src.display_name, body, first, sep=self.sep)

    def parse(self, src: SourceFile, key: CardKey) -> Parsed:
        table = self.read(src)
        frame = cast_fields(table, self.fields, key)
        frame = self.finish(src, frame)
        return Parsed(self.name, frame, rows_read=len(table), scope_key=self.scope(frame))

    def finish(self, src: SourceFile, frame: pl.DataFrame) -> pl.DataFrame:
        """Cross-field checks and derived columns."""
        return frame

    def scope(self, frame: pl.DataFrame) -> str | None:
        return None
