"""The raw layer as Parquet files: a file per landing file and raw table, the same rows as the
raw tables, a superseded file's rows gone with its file, and any difference (a crash between
the two writes, a rolled-back build database) settled by ``reconcile``."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from posaudit.ingest.cardsafe import CardKey
from posaudit.ingest.load import RAW, TABLE_DDL
from posaudit.ingest.raw_files import RawFiles, RawWriter
from posaudit.pipeline.ingest_step import ingest_landing
from tests.helpers.raw_docs import LandingZone
from tests.helpers.raw_settlement import cn_pos_statement
from tests.helpers.raw_terminal import pos_journal_v1


def _differing_rows(con: duckdb.DuckDBPyConnection, raw: RawFiles, table: str) -> int:
    """Rows in the table and not in its files, and the other way round."""
    files = f"read_parquet('{raw.folder(table)}/*.parquet', union_by_name = true)"
    return sum(con.execute(f"select count(*) from (select * from {a} except all select * from {b})"
                           ).fetchone()[0]  # type: ignore[index]  # count(*) always has a row
               for a, b in ((f"{RAW}.{table}", files), (files, f"{RAW}.{table}")))


def test_each_landing_file_is_a_parquet_file_with_the_same_rows(
        landing: LandingZone, con: duckdb.DuckDBPyConnection, card_key: CardKey,
        tmp_path: Path) -> None:
    raw = RawFiles(tmp_path / "raw")
    landing.put("terminal", "a.csv", pos_journal_v1())
    landing.put("settlement", "lakala_20261104.csv", cn_pos_statement())
    ingest_landing(landing.root, con, card_key, raw=raw)
    for table in ("pos_journal_v1", "cn_pos_statement"):
        ids = {r[0] for r in con.execute(f"select distinct file_id from {RAW}.{table}").fetchall()}
        assert raw.file_ids(table) == ids and len(ids) == 1
        assert _differing_rows(con, raw, table) == 0


def test_a_superseded_file_takes_its_parquet_file_with_it(
        landing: LandingZone, con: duckdb.DuckDBPyConnection, card_key: CardKey,
        tmp_path: Path) -> None:
    raw = RawFiles(tmp_path / "raw")
    landing.put("settlement", "lakala_20261104.csv", cn_pos_statement())
    ingest_landing(landing.root, con, card_key, raw=raw)
    (old,) = raw.file_ids("cn_pos_statement")
    corrected = cn_pos_statement().set(1, "手续费", "2.00").set(1, "结算金额", "348.00")
    landing.put("settlement", "lakala_20261104_corrected.csv", corrected)
    ingest_landing(landing.root, con, card_key, raw=raw)
    (new,) = raw.file_ids("cn_pos_statement")
    assert new != old
    assert _differing_rows(con, raw, "cn_pos_statement") == 0


def test_reconcile_writes_what_is_missing_and_deletes_what_is_stale(
        landing: LandingZone, con: duckdb.DuckDBPyConnection, card_key: CardKey,
        tmp_path: Path) -> None:
    raw = RawFiles(tmp_path / "raw")
    landing.put("terminal", "a.csv", pos_journal_v1())
    ingest_landing(landing.root, con, card_key, raw=raw)
    (kept,) = raw.file_ids("pos_journal_v1")
    # As after a crash between the two writes, or a build database rolled back: a file whose
    # rows the table lacks, one missing, and a half-written one.
    raw.path("pos_journal_v1", kept).rename(raw.path("pos_journal_v1", "gone"))
    raw.path("pos_journal_v1", "half").with_suffix(".parquet.tmp").write_bytes(b"PAR1")
    assert raw.reconcile(con, TABLE_DDL, RAW) == (1, 1)
    assert raw.file_ids("pos_journal_v1") == {kept}
    assert not list(raw.folder("pos_journal_v1").glob("*.tmp"))
    assert _differing_rows(con, raw, "pos_journal_v1") == 0
    assert raw.reconcile(con, TABLE_DDL, RAW) == (0, 0)


def test_the_background_writer_keeps_order_bounds_memory_and_reports_a_failure(
        tmp_path: Path) -> None:
    raw = RawFiles(tmp_path / "raw")
    columns = [("file_id", "VARCHAR"), ("n", "BIGINT")]
    frame = pl.DataFrame({"file_id": ["f1", "f1", "f2"], "n": [1, 2, 3]})
    with RawWriter(raw, max_pending_rows=2) as writer:
        writer.write("t", frame, columns)
        writer.write("t", frame.filter(pl.col("file_id") == "f2"), columns)
        writer.remove("t", ["f1"])  # after the writes, as asked
    assert raw.file_ids("t") == {"f2"}
    assert pl.read_parquet(raw.path("t", "f2")).to_dicts() == [{"file_id": "f2", "n": 3}]

    (tmp_path / "raw" / "blocked").write_text("a file where the table's folder should be")
    writer = RawWriter(raw)
    writer.write("blocked", frame, columns)
    with pytest.raises(OSError):
        writer.close()
