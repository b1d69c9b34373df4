"""Putting bytes on disk: encodings, line endings, byte-order marks, deterministic zips."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl

# Fixed zip entry time: file contents never depend on the wall clock.
ZipTime = tuple[int, int, int, int, int, int]  # as zipfile.ZipInfo takes it
_ZIP_TIME: ZipTime = (2026, 1, 1, 0, 0, 0)


def csv_text(df: pl.DataFrame, crlf: bool = False, header: bool = True) -> str:
    return df.write_csv(include_header=header, line_terminator="\r\n" if crlf else "\n")


def encode(text: str, encoding: str, bom: bool = False) -> bytes:
    data = text.encode("gbk" if encoding == "gbk" else "utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_zip(path: Path, member: str, data: bytes, when: ZipTime = _ZIP_TIME) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    info = zipfile.ZipInfo(member, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(info, data)
