"""Delimited text to typed polars frames, with the line of every row and precise errors.

Two readers: a fast one (polars' multi-threaded CSV reader) for files without quote characters,
which is every large export we know; and Python's csv module for quoted files, which are small.
Both return string columns plus ``line_no``: the physical, 1-based line where the record starts.
Then :func:`cast_fields` validates and types the columns and names the first bad line and field.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

import polars as pl

from posaudit.ingest.cardsafe import CardKey, mask_card_column, protect_card_column
from posaudit.ingest.errors import IngestError

MONEY = pl.Decimal(18, 2)
MONEY5 = pl.Decimal(18, 5)
AMOUNT4 = pl.Decimal(18, 4)
RATE = pl.Decimal(24, 15)

_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def norm(name: str) -> str:
    """Header normalisation: NFKC folds full-width punctuation, then trim BOM, backtick, spaces."""
    return unicodedata.normalize("NFKC", name).strip().lstrip("\ufeff").strip("`").strip()


@dataclass(frozen=True)
class Field:
    """One column of a raw layout.

    kind: str | int | money (2 places) | money5 | amount4 | rate | percent | date | datetime |
    time | card (becomes card_token + card_mask).

    A stored text field is one of two things. An identifier or code has a declared format
    (``pattern`` or ``values``): a value that does not fit refuses the file, and a value that
    fits is stored as it is, even when it looks like a card number (a 19-digit order number is
    an order number). Free text (``free_text``) may hold anything: a card number in it is masked
    where it stands and reported, and the file loads.
    """

    source: str
    name: str
    kind: str = "str"
    required: bool = False
    pattern: str | None = None  # the whole trimmed value must match
    values: tuple[str, ...] | None = None
    fmt: str | None = None  # date / time format when not the default
    free_text: bool = False  # may hold anything: card numbers in it are masked
    drop: bool = False  # personal data: checked for presence, never kept
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind != "str" or self.drop:
            return
        if (self.pattern is not None or self.values is not None) == self.free_text:
            raise ValueError(f"field {self.source}: a stored text field is either free text or "
                             "has a declared format (pattern or values), not both or neither")

    @property
    def has_format(self) -> bool:
        """An identifier or code checked against its format: stored as it is, never masked."""
        return self.kind == "str" and not self.free_text and not self.drop

    def matches(self, header: str) -> bool:
        return header == norm(self.source) or header in {norm(a) for a in self.aliases}


# A column of a parsed frame, present when a card number was masked in a free-text field: per
# line, the fields (as the file names them) where it was. Never stored; the incoming checks
# report it (card_numbers_masked).
CARD_MASKED = "card_masked_in"


def note_masked(frame: pl.DataFrame, hits: Sequence[tuple[str, pl.Series]]) -> pl.DataFrame:
    """Record in ``frame`` (CARD_MASKED) where ``hits`` (field name, per-line flags aligned with
    the frame) say a card number was masked, beside what is recorded already."""
    hits = [(source, flags) for source, flags in hits if flags.any()]
    if not hits:
        return frame
    flags = pl.DataFrame({f"h{i}": f for i, (_, f) in enumerate(hits)})
    parts: list[pl.Expr] = [pl.when(pl.col(f"h{i}")).then(pl.lit(source))
                            for i, (source, _) in enumerate(hits)]
    if CARD_MASKED in frame.columns:
        flags = flags.with_columns(frame[CARD_MASKED].alias("before"))
        parts.insert(0, pl.col("before"))
    named = flags.select(pl.concat_str(parts, separator=", ", ignore_nulls=True).alias("n"))
    column = named.select(pl.when(pl.col("n") != "").then(pl.col("n"))).to_series()
    return frame.with_columns(column.alias(CARD_MASKED))


@dataclass
class StringTable:
    """Raw text cells: ``columns`` maps normalised header to a string Series."""

    file: str
    header: list[str]
    header_line: int
    frame: pl.DataFrame  # string columns c0..cN-1 plus line_no

    def column(self, header_name: str) -> pl.Series | None:
        try:
            i = self.header.index(header_name)
        except ValueError:
            return None
        return self.frame.get_column(f"c{i}")

    @property
    def line_no(self) -> pl.Series:
        return self.frame.get_column("line_no")

    def __len__(self) -> int:
        return self.frame.height


def read_delimited(
    file: str,
    body: str | bytes,
    first_line: int,
    *,
    sep: str = ",",
    strip: str = " \t",
    strip_backtick: bool = False,
) -> StringTable:
    """Read ``body`` (header line first, text or UTF-8 bytes) that starts at physical line
    ``first_line``. Cells are trimmed of ``strip`` (and a leading backtick if asked); empty
    cells are null; blank lines are skipped but still counted."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    if b'"' in data:
        header, frame = _read_quoted(file, data.decode("utf-8"), first_line, sep)
    else:
        header, frame = _read_fast(file, data, first_line, sep)
    cells = [c for c in frame.columns if c != "line_no"]
    frame = _trim(frame, cells, strip, strip_backtick)
    # Blank lines come through as all-null rows: skip them, their line numbers stay counted.
    if cells and frame.height and frame.select(
        pl.all_horizontal(pl.col(c).is_null() for c in cells).any()
    ).item():
        frame = frame.filter(~pl.all_horizontal(pl.col(c).is_null() for c in cells))
    return StringTable(file=file, header=[norm(h) for h in header], header_line=first_line,
                       frame=frame)


def _trim(frame: pl.DataFrame, cells: list[str], strip: str, strip_backtick: bool
          ) -> pl.DataFrame:
    """Trim padding (and a backtick prefix) only in the columns that have any: one parallel
    pass to find them is far cheaper than rewriting every string column."""
    if not cells or not frame.height:
        return frame
    pad = "[" + "".join("\\t" if c == "\t" else c for c in strip) + "]"
    probe = f"^{pad}|{pad}$" + ("|^`" if strip_backtick else "")
    flags = frame.select(pl.col(c).str.contains(probe).any() for c in cells).row(0)
    exprs = []
    for name, needed in zip(cells, flags, strict=True):
        if not needed:
            continue
        e = pl.col(name).str.strip_chars(strip)
        if strip_backtick:
            e = e.str.strip_prefix("`").str.strip_chars(strip)
        exprs.append(pl.when(e.str.len_bytes() == 0).then(None).otherwise(e).alias(name))
    return frame.with_columns(exprs) if exprs else frame


_NON_BLANK = re.compile(rb"[^\r\n \t]")


def _split_header(line: str, sep: str) -> list[str]:
    return next(csv.reader([line.rstrip("\r")], delimiter=sep))


def _read_fast(file: str, data: bytes, first_line: int, sep: str
               ) -> tuple[list[str], pl.DataFrame]:
    nl = data.find(b"\n")
    try:
        header = _split_header((data if nl < 0 else data[:nl]).decode("utf-8"), sep)
    except csv.Error as exc:  # a stray carriage return inside the header line
        raise IngestError(file, first_line, None, f"bad header line: {exc}") from None
    rest = b"" if nl < 0 else data[nl + 1 :]
    ncols = len(header)
    names = [f"c{i}" for i in range(ncols)]
    if _NON_BLANK.search(rest) is None:
        frame = pl.DataFrame({n: pl.Series([], dtype=pl.String) for n in names})
        return header, frame.with_columns(pl.Series("line_no", [], dtype=pl.Int64))
    if not ncols:
        raise IngestError(file, first_line, None, "the header line is empty")
    try:
        frame = pl.read_csv(
            rest,
            has_header=False,
            new_columns=names,
            schema={n: pl.String for n in names},
            separator=sep,
            quote_char=None,
            eol_char="\n",
        )
    except (pl.exceptions.ComputeError, pl.exceptions.SchemaError):
        # SchemaError: the first data line has more fields than the header
        _locate_field_count(file, rest, first_line + 1, ncols, sep)
        raise IngestError(file, None, None, "the file is not valid delimited text") from None
    # polars pads short rows with nulls: a separator count that is off points at one (or at a
    # blank line, which is allowed).
    if rest.count(sep.encode()) != frame.height * (ncols - 1):
        _locate_field_count(file, rest, first_line + 1, ncols, sep)
    frame = frame.with_columns(
        (pl.int_range(0, pl.len(), dtype=pl.Int64) + (first_line + 1)).alias("line_no")
    )
    if b"\r" in rest:
        last = names[-1]
        frame = frame.with_columns(pl.col(last).str.strip_suffix("\r"))
    return header, frame


def _locate_field_count(file: str, rest: bytes, first_line: int, ncols: int, sep: str) -> None:
    """Slow path: find the first line whose field count is wrong (blank lines are allowed)."""
    lines = pl.Series("l", rest.decode("utf-8", errors="replace").split("\n"))
    counts = lines.str.count_matches(sep, literal=True)
    blank = lines.str.strip_chars("\r \t").str.len_bytes() == 0
    wrong = (counts != ncols - 1) & ~blank
    if wrong.any():
        i = int(wrong.arg_true()[0])
        raise IngestError(
            file, first_line + i, None,
            f"expected {ncols} fields, found {int(counts[i]) + 1}",
        )


def _read_quoted(
    file: str, body: str, first_line: int, sep: str
) -> tuple[list[str], pl.DataFrame]:
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=sep, strict=True)
    rows: list[list[str]] = []
    starts: list[int] = []
    prev_end = 0
    header: list[str] | None = None
    try:
        for record in reader:
            start = prev_end + 1
            prev_end = reader.line_num
            if header is None:
                header = record
                continue
            if not record or (all(not c.strip() for c in record) and len(record) <= 1):
                continue
            if len(record) != len(header):
                raise IngestError(
                    file, first_line + start - 1, None,
                    f"expected {len(header)} fields, found {len(record)}",
                )
            rows.append(record)
            starts.append(first_line + start - 1)
    except csv.Error as exc:
        raise IngestError(file, first_line + reader.line_num - 1, None, f"bad CSV: {exc}") from None
    if header is None:
        raise IngestError(file, first_line, None, "no header line")
    ncols = len(header)
    cols = {f"c{i}": pl.Series([r[i] or None for r in rows], dtype=pl.String)
            for i in range(ncols)}
    frame = pl.DataFrame(cols).with_columns(pl.Series("line_no", starts, dtype=pl.Int64))
    return header, frame


def require_columns(table: StringTable, fields: Sequence[Field]) -> dict[str, pl.Series | None]:
    """Map each field to its column. A required field's column must be there; an optional
    field's column may be absent (layout variants) and then reads as null."""
    out: dict[str, pl.Series | None] = {}
    for f in fields:
        col = None
        for i, h in enumerate(table.header):
            if f.matches(h):
                col = table.frame.get_column(f"c{i}")
                break
        if col is None and f.required:
            raise IngestError(table.file, table.header_line, f.source, "column is missing")
        out[f.name] = col
    return out


def _fail(file: str, line_no: pl.Series, bad: pl.Series, field: Field, why: str,
          values: pl.Series | None = None) -> NoReturn:
    i = int(bad.arg_true()[0])
    shown = ""
    if values is not None and field.kind != "card" and not field.drop:
        v = values[i]
        shown = f", got {v[:60]!r}" if v is not None else ""
    raise IngestError(file, int(line_no[i]), field.source, f"{why}{shown}")


def cast_fields(
    table: StringTable, fields: Sequence[Field], key: CardKey | None = None
) -> pl.DataFrame:
    """Validate and type every field; raise on the first bad value with its line and field.

    Every check and cast of every column is one parallel polars query; only when it finds a
    bad value are the same checks run again field by field, in order, to name the first bad
    line and field.
    """
    cols = require_columns(table, fields)
    n = len(table)
    raw = pl.DataFrame([
        (found if (found := cols[f.name]) is not None
         else pl.Series([None] * n, dtype=pl.String)).alias(f"r{i}")
        for i, f in enumerate(fields)
    ], height=n)
    rules = [_Rules.of(f, pl.col(f"r{i}")) for i, f in enumerate(fields)]
    typed = raw.lazy().select(
        *(r.value.alias(f"t{i}") for i, r in enumerate(rules) if r.value is not None),
        pl.any_horizontal([pl.lit(False), *(bad for r in rules for bad, _, _ in r.checks)])
        .any().alias("bad"),
    ).collect()
    # The flag is broadcast to every row: any() also reads an empty file as clean.
    clean = not typed.get_column("bad").any()
    out: list[pl.Series] = []
    masked: list[tuple[str, pl.Series]] = []
    for i, (f, r) in enumerate(zip(fields, rules, strict=True)):
        if f.drop:
            continue
        column = raw.get_column(f"r{i}")
        if r.value is not None:
            out.append(typed.get_column(f"t{i}").alias(f.name))
        elif f.kind == "card":
            if key is None:
                raise RuntimeError("a card column needs the card key")
            token, mask, unreadable = protect_card_column(column, key)
            clean = clean and not unreadable.any()
            out.extend([token, mask])
        else:  # free text: a card number in it is masked where it stands
            text, hits = mask_card_column(column)
            masked.append((f.source, hits))
            out.append(text.alias(f.name))
    if not clean:
        _raise_first_bad(table, fields, raw, rules, key)
    return note_masked(pl.DataFrame(out).with_columns(table.line_no.alias("line_no")), masked)


@dataclass(frozen=True)
class _Rules:
    """One field's typed value (None where Python types it: cards, free text) and its checks
    in the order they are reported: where the value is bad, why, and whether to show it."""

    value: pl.Expr | None
    checks: list[tuple[pl.Expr, str, bool]]

    @classmethod
    def of(cls, f: Field, col: pl.Expr) -> _Rules:
        present = col.is_not_null()
        checks: list[tuple[pl.Expr, str, bool]] = []
        if f.required:
            checks.append((~present, "value is required", False))
        if f.drop:
            return cls(None, checks)
        if f.values is not None:
            checks.append((present & ~col.is_in(list(f.values)),
                           f"expected one of {', '.join(f.values)}", True))
        if f.pattern is not None:
            checks.append((present & ~col.str.contains(f"^(?:{f.pattern})$").fill_null(False),
                           "value has the wrong format", True))
        kind = f.kind
        if kind == "card" or (kind == "str" and f.free_text):
            return cls(None, checks)
        if kind == "str":
            return cls(col, checks)
        if kind in _NUMBER:
            pattern, dtype, desc = _NUMBER[kind]
            # Thousands separators go; ".91" (as some exports write it) becomes "0.91".
            cleaned = col.str.replace_all(",", "", literal=True).str.replace(
                r"^([-+]?)\.", "${1}0.")
            value = cleaned.str.strip_prefix("+").cast(dtype, strict=False)
            checks.append((present & ~cleaned.str.contains(f"^{pattern}$").fill_null(False),
                           f"expected {desc}", True))
            checks.append((present & value.is_null(),
                           f"expected {desc}: the value is too large", True))
            return cls(value, checks)
        if kind == "percent":
            pct = col.str.strip_suffix("%").cast(pl.Decimal(18, 8), strict=False)
            value = (pct / 100).cast(pl.Decimal(12, 8), strict=False)
            why = "expected a percentage like 0.60%"
            checks.append((present & ~col.str.contains(r"^\d+(?:\.\d+)?%$").fill_null(False),
                           why, True))
            checks.append((present & value.is_null(), why, True))
            return cls(value, checks)
        if kind == "int":
            value, why = col.cast(pl.Int64, strict=False), "expected a whole number"
        elif kind == "date":
            fmts = (f.fmt,) if f.fmt else _DATE_FORMATS
            value = pl.coalesce([col.str.strptime(pl.Date, fmt, strict=False) for fmt in fmts])
            why = f"expected a valid date as {fmts[0]}"
        elif kind == "time":
            fmt = f.fmt or "%H:%M:%S"
            value = col.str.strptime(pl.Time, fmt, strict=False)
            why = f"expected a valid time as {fmt}"
        elif kind == "datetime":
            fmts = (f.fmt,) if f.fmt else _DATETIME_FORMATS
            value = pl.coalesce([col.str.strptime(pl.Datetime("us"), fmt, strict=False)
                                 for fmt in fmts])
            why = f"expected a valid datetime as {fmts[0]}"
        else:
            raise ValueError(f"unknown field kind {kind!r}")
        checks.append((present & value.is_null(), why, True))
        return cls(value, checks)


def _raise_first_bad(table: StringTable, fields: Sequence[Field], raw: pl.DataFrame,
                     rules: Sequence[_Rules], key: CardKey | None) -> NoReturn:
    """The same checks field by field, each in turn: the first bad value raises, named."""
    for i, (f, r) in enumerate(zip(fields, rules, strict=True)):
        column = raw.get_column(f"r{i}")
        for bad, why, show in r.checks:
            flags = raw.select(bad).to_series()
            if flags.any():
                _fail(table.file, table.line_no, flags, f, why, column if show else None)
        if f.kind == "card" and not f.drop and key is not None:
            _, _, unreadable = protect_card_column(column, key)
            if unreadable.any():
                _fail(table.file, table.line_no, unreadable, f,
                      "not a card number or a masked card number")
    raise AssertionError(f"{table.file}: a bad value was flagged but not found")


_NUMBER = {
    "money": (r"[-+]?\d+(?:\.\d{1,2})?", MONEY, "an amount with at most 2 decimals"),
    "money5": (r"[-+]?\d+(?:\.\d{1,5})?", MONEY5, "an amount with at most 5 decimals"),
    "amount4": (r"[-+]?\d+(?:\.\d{1,4})?", AMOUNT4, "an amount with at most 4 decimals"),
    "rate": (r"[-+]?\d+(?:\.\d{1,15})?", RATE, "a decimal number"),
}


def ddl_type(f: Field) -> list[tuple[str, str]]:
    """The DuckDB column(s) a field becomes."""
    if f.drop:
        return []
    return {
        "str": [(f.name, "VARCHAR")],
        "money": [(f.name, "DECIMAL(18,2)")],
        "money5": [(f.name, "DECIMAL(18,5)")],
        "amount4": [(f.name, "DECIMAL(18,4)")],
        "rate": [(f.name, "DECIMAL(24,15)")],
        "percent": [(f.name, "DECIMAL(12,8)")],
        "int": [(f.name, "BIGINT")],
        "date": [(f.name, "DATE")],
        "datetime": [(f.name, "TIMESTAMP")],
        "time": [(f.name, "TIME")],
        "card": [("card_token", "VARCHAR"), ("card_mask", "VARCHAR")],
    }[f.kind]
