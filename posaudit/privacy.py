"""Scanners for personal data that must never be stored: full card numbers (as ingest defines
them, :func:`ingest.cardsafe.is_card_number`) and Chinese resident ID numbers. Used by the
tests and by the data-quality checks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from posaudit.ingest.cardsafe import card_runs, mask_pan

_ID_NUMBER = re.compile(r"(?<![\dA-Za-z.])\d{17}[\dXx](?![\dA-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_valid(candidate: str) -> bool:
    """ISO 7064 MOD 11-2 check of an 18-character resident ID number."""
    total = sum(int(d) * w for d, w in zip(candidate[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == candidate[17].upper()


def find_card_numbers(text: str) -> list[str]:
    # A run right after a decimal point is the fraction of a number (timings), not a card.
    return [m.group() for m in card_runs(text) if text[m.start() - 1: m.start()] != "."]


def find_id_numbers(text: str) -> list[str]:
    return [m.group() for m in _ID_NUMBER.finditer(text) if id_number_valid(m.group())]


@dataclass(frozen=True)
class Finding:
    where: str
    kind: str
    masked: str  # never the value itself


_HEX_DIGEST = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{32,64}(?![0-9A-Za-z])")


def scan_text(where: str, text: str) -> list[Finding]:
    # Keys and tokens are hex digests; digit runs inside them are chance, not card numbers.
    text = _HEX_DIGEST.sub(" ", text)
    found = [Finding(where, "card_number", mask_pan(v)) for v in find_card_numbers(text)]
    found += [Finding(where, "id_number", v[:6] + "********" + v[-4:])
              for v in find_id_numbers(text)]
    return found


def scan_duckdb(path: Path, extra_terms: Iterable[str] = ()) -> list[Finding]:
    """Every text column of every table and view: card numbers, ID numbers, given terms."""
    terms = [t for t in extra_terms if t]
    # One regular expression for all terms: one pass per column, not one per term.
    pattern = "|".join(re.escape(t) for t in sorted(terms)) if terms else ""
    findings: list[Finding] = []
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE data_type IN ('VARCHAR', 'JSON') ORDER BY ALL"
        ).fetchall()
        for schema, table, column in columns:
            where = f"{schema}.{table}.{column}"
            values = con.execute(
                f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM "{schema}"."{table}" '
                f'WHERE regexp_matches(CAST("{column}" AS VARCHAR), \'[0-9０-９]{{13}}\')'
            ).fetchall()
            for (value,) in values:
                findings.extend(scan_text(where, value))
            if pattern:
                hits = con.execute(
                    f'SELECT DISTINCT regexp_extract(CAST("{column}" AS VARCHAR), ?) '
                    f'FROM "{schema}"."{table}" '
                    f'WHERE regexp_matches(CAST("{column}" AS VARCHAR), ?)', [pattern, pattern]
                ).fetchall()
                findings.extend(Finding(where, "term", h[0][:1] + "…") for h in hits if h[0])
    return findings


def scan_files(paths: Iterable[Path], extra_terms: Iterable[str] = ()) -> Iterator[Finding]:
    terms = [t for t in extra_terms if t]
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        yield from scan_text(str(path), text)
        for term in terms:
            if term in text:
                yield Finding(str(path), "term", term[:1] + "…")
