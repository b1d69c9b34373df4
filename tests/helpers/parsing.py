"""A raw file written to disk and opened as ingest opens it, and what parsing it gave."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from posaudit.ingest.layouts import Parsed
from posaudit.ingest.source import SourceFile


@dataclass
class Loaded:
    layout: str
    parsed: Parsed

    @property
    def frame(self) -> pl.DataFrame:
        return self.parsed.frame


def open_source(tmp_path: Path, name: str, data: bytes, folder: str) -> SourceFile:
    path = tmp_path / "src" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return SourceFile.open(path, name, folder)
