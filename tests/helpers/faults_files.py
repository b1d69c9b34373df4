"""What a fault planter reports (:class:`Planted`), and landing files read and rewritten as
byte lines so that an edit keeps everything else exactly as the export wrote it: the encoding
(GBK stays GBK), a UTF-8 byte-order mark, the line endings and every untouched line.

Line numbers are physical and 1-based with the header line as line 1, the way ingest counts
``line_no``.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path

from posaudit.ingest.errors import IngestError
from posaudit.ingest.landing import detect
from posaudit.ingest.source import SourceFile

BOM = b"\xef\xbb\xbf"
# How a file's bytes decode: GB18030 reads every GBK file and writes GBK characters back as GBK.
CODECS = {"utf-8": "utf-8", "gbk": "gb18030"}
# A hand edit of one amount: the tens digit goes up by one.
WALLET_TYPO = Decimal("10.00")


@dataclasses.dataclass(frozen=True)
class Planted:
    """What a planter did, for a test to look for in the data-quality findings.

    ``file``/``line``/``field`` say where a reader of the changed landing zone meets the fault
    (``line`` is None for a deleted file or a terminal-day). ``changed_line`` is the line that was
    edited, deleted or repeated, numbered as in the original file. ``files`` lists every file the
    planter changed or deleted (landing-relative posix paths).
    """

    fault: str
    file: str
    line: int | None = None
    field: str | None = None
    ids: Mapping[str, str] = dataclasses.field(default_factory=dict)
    changed_line: int | None = None
    lines_before: int | None = None
    lines_after: int | None = None
    files: tuple[str, ...] = ()


# --- reading landing files as lines --------------------------------------------------------


@dataclasses.dataclass
class LandingFile:
    """A plain landing text file as physical lines, each keeping its own line ending."""

    path: Path
    name: str
    layout: str
    codec: str
    lines: list[bytes]

    def text(self, i: int) -> str:
        return self.lines[i].decode(self.codec).removeprefix("\ufeff").rstrip("\r\n")

    def cells(self, i: int) -> list[str]:
        return next(csv.reader([self.text(i)]))

    def blank(self, i: int) -> bool:
        return not self.text(i).strip()

    def next_filled(self, start: int) -> int | None:
        return next((i for i in range(start, len(self.lines)) if not self.blank(i)), None)

    def data(self, start: int, stop: int | None = None) -> list[int]:
        stop = len(self.lines) if stop is None else stop
        return [i for i in range(start, stop) if not self.blank(i)]

    def replace(self, i: int, text: str) -> None:
        old = self.lines[i]
        bom = BOM if i == 0 and old.startswith(BOM) else b""
        ending = old[len(old.rstrip(b"\r\n")):]
        self.lines[i] = bom + text.encode(self.codec) + ending

    def save(self) -> None:
        self.path.write_bytes(b"".join(self.lines))


def split_lines(data: bytes) -> list[bytes]:
    # Split on LF only (GBK never uses 0x0A inside a character), keeping CR LF endings intact.
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines


def landing_files(landing: Path, folder: str, layouts: set[str]) -> Iterator[LandingFile]:
    """Plain (not zipped) files of ``folder`` whose content is one of ``layouts``, by name."""
    base = landing / folder
    if not base.is_dir():
        return
    paths = [p for p in base.rglob("*")
             if p.is_file() and not any(s.startswith(".") for s in p.relative_to(landing).parts)]
    for path in sorted(paths, key=lambda p: p.relative_to(landing).as_posix()):
        name = path.relative_to(landing).as_posix()
        try:
            src = SourceFile.open(path, name, folder)
            layout = detect(src)
            if layout is None or layout.name not in layouts or src.member or src.is_xlsx:
                continue
            codec = CODECS[src.encoding]
        except IngestError:
            continue
        yield LandingFile(path, name, layout.name, codec, split_lines(src.data))


def norm_cell(cell: str) -> str:
    return cell.strip().lstrip("\ufeff").strip("`").strip()


def money_of(cell: str) -> Decimal | None:
    try:
        return Decimal(norm_cell(cell) or "0")
    except InvalidOperation:
        return None


def column_of(header: list[str], name: str) -> int | None:
    return header.index(name) if name in header else None
