"""DuckDB side of ingest: the raw schema, the file manifest, and atomic per-batch writes."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import polars as pl

from posaudit.ingest.layouts import LAYOUTS
from posaudit.ingest.raw_files import RawWriter

RAW = "raw"

MANIFEST_COLUMNS: list[tuple[str, str]] = [
    ("file_id", "VARCHAR NOT NULL"),
    ("file_name", "VARCHAR NOT NULL"),
    ("folder", "VARCHAR"),
    ("size_bytes", "BIGINT"),
    ("mtime_ns", "BIGINT"),
    ("sha256", "VARCHAR NOT NULL"),
    ("layout", "VARCHAR"),
    ("encoding", "VARCHAR"),
    ("status", "VARCHAR NOT NULL"),
    ("scope_key", "VARCHAR"),
    ("rows_read", "BIGINT"),
    ("rows_loaded", "BIGINT"),
    ("rows_rejected", "BIGINT"),
    ("error_line", "INTEGER"),
    ("error_field", "VARCHAR"),
    ("error", "VARCHAR"),
    ("error_check", "VARCHAR"),  # failed incoming checks, comma-separated ('parse': unreadable)
    ("error_severity", "VARCHAR"),  # critical or warning: the worst of them
    ("duplicate_of", "VARCHAR"),
    ("superseded_by", "VARCHAR"),
    ("first_seen_at", "TIMESTAMP"),
    ("loaded_at", "TIMESTAMP"),
    ("run_id", "VARCHAR"),
]


TABLE_DDL = {layout.table: layout.ddl() for layout in LAYOUTS}
TABLE_COLUMNS = {table: [n for n, _ in ddl] for table, ddl in TABLE_DDL.items()}


def _create(con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]]) -> None:
    cols = ", ".join(f'"{n}" {t}' for n, t in columns)
    con.execute(f"CREATE TABLE IF NOT EXISTS {RAW}.{table} ({cols})")
    # Older warehouses gain new columns instead of being rebuilt.
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            [RAW, table],
        ).fetchall()
    }
    for n, t in columns:
        if n not in have:
            con.execute(f'ALTER TABLE {RAW}.{table} ADD COLUMN "{n}" {t.replace(" NOT NULL", "")}')


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Every raw table exists from the first run, so dbt's sources always resolve."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW}")
    _create(con, "file_manifest", MANIFEST_COLUMNS)
    for layout in LAYOUTS:
        _create(con, layout.table, layout.ddl())


@dataclass
class PendingBatch:
    """What one transaction will write: rows per table, manifest rows, superseded files."""

    frames: dict[str, list[pl.DataFrame]] = field(default_factory=dict)
    manifest: list[dict[str, object]] = field(default_factory=list)
    superseded: list[tuple[str, str, str]] = field(default_factory=list)  # table, old, new id
    rows: int = 0

    def add_rows(self, table: str, frame: pl.DataFrame) -> None:
        self.frames.setdefault(table, []).append(frame)
        self.rows += frame.height

    def __bool__(self) -> bool:
        return bool(self.manifest or self.superseded)


def write_batch(con: duckdb.DuckDBPyConnection, batch: PendingBatch,
                raw: RawWriter | None = None) -> None:
    """All of the batch or none of it: a file's rows and its manifest row commit together.
    With ``raw``, once they have committed, each file's rows are handed to it to be written as
    Parquet, and a superseded file's Parquet to be removed."""
    if not batch:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        for table, frames in batch.frames.items():
            columns = TABLE_COLUMNS[table]
            names = ", ".join(f'"{c}"' for c in columns)
            # One positional insert per table, the columns named: each INSERT costs about
            # 10 ms whatever its size, and a window holds hundreds of files.
            rows = pl.concat([f.select(columns) for f in frames], how="vertical_relaxed",
                             rechunk=False)
            con.register("_batch", rows.to_arrow())
            con.execute(f"INSERT INTO {RAW}.{table} ({names}) SELECT * FROM _batch")
            con.unregister("_batch")
        if batch.manifest:
            manifest_names = [n for n, _ in MANIFEST_COLUMNS]
            rows = pl.DataFrame(
                [{n: m.get(n) for n in manifest_names} for m in batch.manifest],
                schema={n: _POLARS[t.split()[0]] for n, t in MANIFEST_COLUMNS},
            )
            con.register("_manifest", rows.to_arrow())
            con.execute(f"INSERT INTO {RAW}.file_manifest BY NAME SELECT * FROM _manifest")
            con.unregister("_manifest")
        # Last: the file a correction replaces may have been loaded in this very batch.
        for table, old_id, new_id in batch.superseded:
            con.execute(f"DELETE FROM {RAW}.{table} WHERE file_id = ?", [old_id])
            con.execute(
                f"UPDATE {RAW}.file_manifest SET status = 'SUPERSEDED', superseded_by = ?, "
                "rows_loaded = 0 WHERE file_id = ?",
                [new_id, old_id],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if raw is not None:
        for table, frames in batch.frames.items():
            for frame in frames:
                if frame.height:
                    raw.write(table, frame, TABLE_DDL[table])
        for table, old_id, _ in batch.superseded:
            raw.remove(table, [old_id])


_POLARS: dict[str, pl.DataType | type[pl.DataType]] = {
    "VARCHAR": pl.String,
    "BIGINT": pl.Int64,
    "INTEGER": pl.Int32,
    "TIMESTAMP": pl.Datetime("us"),
}
