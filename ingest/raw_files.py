"""The raw layer as Parquet: one file per landing file and raw table,
``W/raw/<table>/<file id>.parquet``.

Any engine reads them: Spark as external tables (posaudit.pipeline.spark_engine), DuckDB with
``read_parquet``. A refresh adds files; a superseded landing file's rows go with its file.
The build database keeps the same rows in its raw tables, which DuckDB's models read (faster
than the files: DECISIONLOG.md), and which are the reference: ``reconcile`` makes the files
match them after every ingest, so a crash between the two writes or a rollback of the build
database leaves no lasting difference.

Each file is written whole under a temporary name and renamed into place, so a reader never
sees half a file. During ingest a RawWriter writes them on a thread of its own, beside the
parsing and the inserts.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import duckdb
import polars as pl

SUFFIX = ".parquet"
TMP = ".tmp"

_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(), "JSON": pl.String(), "INTEGER": pl.Int32(), "BIGINT": pl.Int64(),
    "DATE": pl.Date(), "TIMESTAMP": pl.Datetime("us"),
}


def polars_type(ddl_type: str) -> pl.DataType:
    """The Parquet column type of a raw table's column, from its DuckDB type: every file of a
    table has the same schema, whoever wrote it."""
    base = ddl_type.replace(" NOT NULL", "")
    decimal = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", base)
    if decimal:
        return pl.Decimal(int(decimal[1]), int(decimal[2]))
    return _TYPES[base]


@dataclass(frozen=True)
class RawFiles:
    root: Path

    def folder(self, table: str) -> Path:
        return self.root / table

    def path(self, table: str, file_id: str) -> Path:
        return self.folder(table) / f"{file_id}{SUFFIX}"

    def write(self, table: str, frame: pl.DataFrame,
              columns: Sequence[tuple[str, str]]) -> list[Path]:
        """Write the rows of ``frame`` as the raw table's ``columns`` (name, DuckDB type), one
        Parquet file per landing file; returns the paths written."""
        written: list[Path] = []
        self.folder(table).mkdir(parents=True, exist_ok=True)
        typed = frame.select(pl.col(n).cast(polars_type(t)) for n, t in columns)
        for (file_id,), rows in typed.partition_by("file_id", as_dict=True).items():
            path = self.path(table, str(file_id))
            partial = path.with_name(path.name + TMP)
            rows.write_parquet(partial, compression="zstd")
            os.replace(partial, path)
            written.append(path)
        return written

    def remove(self, table: str, file_ids: Iterable[str]) -> None:
        for file_id in file_ids:
            self.path(table, file_id).unlink(missing_ok=True)

    def file_ids(self, table: str) -> set[str]:
        folder = self.folder(table)
        if not folder.is_dir():
            return set()
        for partial in folder.glob(f"*{TMP}"):  # left by a writer that was killed
            partial.unlink(missing_ok=True)
        return {p.name[: -len(SUFFIX)] for p in folder.glob(f"*{SUFFIX}")}

    def reconcile(self, con: duckdb.DuckDBPyConnection,
                  tables: Mapping[str, Sequence[tuple[str, str]]], schema: str) -> tuple[int, int]:
        """Make the files match the build database's raw tables: write the landing files'
        rows that have no file, delete files whose rows the tables no longer hold. Returns
        (files written, files deleted)."""
        wrote = deleted = 0
        for table, columns in tables.items():
            held = {r[0] for r in con.execute(
                f"select distinct file_id from {schema}.{table}").fetchall()}
            present = self.file_ids(table)
            stale = present - held
            self.remove(table, stale)
            deleted += len(stale)
            missing = sorted(held - present)
            if missing:
                frame = con.sql(f"select * from {schema}.{table} where file_id in "
                                "(select unnest($ids))", params={"ids": missing}).pl()
                wrote += len(self.write(table, frame, columns))
        return wrote, deleted


class RawWriter:
    """Writes and removes raw files on one background thread, in the order asked, while ingest
    goes on parsing and inserting (polars writes Parquet without holding the GIL). At most
    ``max_pending_rows`` rows wait in memory; beyond that ``write`` waits for the oldest jobs.
    ``close`` waits for every job and raises the first failure. Until then the files lag the
    tables, as after a crash: ``RawFiles.reconcile`` after ingest settles any difference."""

    def __init__(self, files: RawFiles, max_pending_rows: int = 1_000_000) -> None:
        self.files = files
        self.max_pending_rows = max_pending_rows
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raw-files")
        self._jobs: deque[tuple[Future[object], int]] = deque()
        self._pending_rows = 0

    def write(self, table: str, frame: pl.DataFrame, columns: Sequence[tuple[str, str]]) -> None:
        while self._jobs and self._pending_rows + frame.height > self.max_pending_rows:
            self._settle_oldest()
        self._jobs.append((self._pool.submit(self.files.write, table, frame, columns),
                           frame.height))
        self._pending_rows += frame.height

    def remove(self, table: str, file_ids: Iterable[str]) -> None:
        self._jobs.append((self._pool.submit(self.files.remove, table, list(file_ids)), 0))

    def _settle_oldest(self) -> None:
        job, rows = self._jobs.popleft()
        self._pending_rows -= rows
        job.result()

    def close(self) -> None:
        try:
            while self._jobs:
                self._settle_oldest()
        finally:
            self._pool.shutdown(wait=True)

    def __enter__(self) -> RawWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is None:
            self.close()
            return
        # Ingest failed already: its error is the one to report; reconcile mends the files.
        self._pool.shutdown(wait=True, cancel_futures=True)
