"""A raw file as a :class:`Doc` (header, rows, and the lines around them), a landing zone on disk,
and the assertions on an ingest error.

``Doc`` computes the lines around its rows (``#`` blocks, WeChat's summary, Alipay's footer)
when the file is rendered, so that a test can change one cell and still get a file that ties, or
break the tie on purpose. ``Doc.line_of(i)`` is the physical, 1-based line of data row ``i`` as
an editor shows it.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from posaudit.ingest.errors import IngestError
from posaudit.ingest.landing import FOLDERS
from posaudit.ingest.layouts.base import Control, Parsed

# --------------------------------------------------------------------------------------------
# Documents


@dataclass
class Doc:
    """A delimited file: lines before the header, the header, rows, and lines after."""

    header: list[str]
    rows: list[list[str]]
    pre: list[str] = field(default_factory=list)
    post: Callable[[Doc], list[str]] | None = None
    encoding: str = "utf-8"
    newline: str = "\n"
    bom: bool = False
    sep: str = ","
    cell_prefix: str = ""  # WeChat: every data cell starts with a backtick
    tab_columns: frozenset[str] = frozenset()  # Alipay: ID and text cells end with a TAB
    meta: dict[str, str] = field(default_factory=dict)  # overrides for the computed post lines

    def col(self, name: str) -> int:
        return self.header.index(name)

    def get(self, row: int, name: str) -> str:
        return self.rows[row][self.col(name)]

    def set(self, row: int, name: str, value: str) -> Doc:
        self.rows[row][self.col(name)] = value
        return self

    def values(self, name: str) -> list[str]:
        i = self.col(name)
        return [r[i] for r in self.rows]

    def line_of(self, row: int) -> int:
        """Physical line of data row ``row`` (0-based index)."""
        return len(self.pre) + 2 + row

    @property
    def header_line(self) -> int:
        return len(self.pre) + 1

    def drop_column(self, name: str) -> Doc:
        i = self.col(name)
        del self.header[i]
        for r in self.rows:
            del r[i]
        return self

    def _cell(self, name: str, value: str) -> str:
        tab = "\t" if name in self.tab_columns else ""
        if self.sep in value or '"' in value:  # quoted as CSV writers do (Adyen)
            value = '"' + value.replace('"', '""') + '"'
        return f"{self.cell_prefix}{value}{tab}"

    def lines(self) -> list[str]:
        out = [*self.pre, self.sep.join(self.header)]
        for r in self.rows:
            names = self.header + [""] * (len(r) - len(self.header))  # rows may be ragged
            out.append(self.sep.join(self._cell(h, v) for h, v in zip(names, r, strict=False)))
        if self.post is not None:
            out.extend(self.post(self))
        return out

    def text(self) -> str:
        return self.newline.join(self.lines()) + self.newline

    def data(self) -> bytes:
        raw = self.text().encode(self.encoding)
        return (b"\xef\xbb\xbf" + raw) if self.bom else raw


def cols(text: str) -> list[str]:
    """A header written as one comma-separated string (Chinese headers are long)."""
    return text.split(",")


def dec(value: str) -> Decimal:
    return Decimal(value) if value.strip() else Decimal(0)


def zipped(member: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, data)
    return buf.getvalue()


def xlsx(header: list[str], rows: Sequence[Sequence[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its one sheet active
    sheet.append(header)
    for r in rows:
        sheet.append(list(r))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def raise_info(err: IngestError) -> str:
    return f"{err.file} line={err.line} field={err.field}: {err.reason}"


def assert_error(err: IngestError, line: int | None, field: str | None, *words: str) -> None:
    assert (err.line, err.field) == (line, field), raise_info(err)
    for word in words:
        assert word in err.reason, raise_info(err)


def untied(parsed: Parsed) -> list[Control]:
    """The totals a file states that its lines do not add up to (the incoming summary_ties
    check refuses such a file; the parser only reports them)."""
    return [c for c in parsed.controls if c.stated != c.actual]


class LandingZone:
    """A landing zone on disk. Files get strictly increasing mtimes: ingest orders by them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._clock = 1_780_000_000 * 10**9
        for folder in FOLDERS:
            (root / folder).mkdir(parents=True, exist_ok=True)

    def put(self, folder: str, name: str, content: bytes | str | Doc) -> str:
        if isinstance(content, Doc):
            content = content.data()
        elif isinstance(content, str):
            content = content.encode("utf-8")
        path = self.root / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        self._clock += 10**9
        os.utime(path, ns=(self._clock, self._clock))
        return f"{folder}/{name}"

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()
