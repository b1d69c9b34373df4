"""posaudit at scale: ingest and dbt build on a generated landing zone, against DuckDB alone.

    python benchmarks/scale.py [--transactions 10000000] [--landing DIR] [--keep]

Generates a landing zone (unless --landing is given), then measures in one process:
  1. posaudit's ingest (polars parse, validation, card tokenising, DuckDB load, manifest) into a
     fresh warehouse, and its peak memory;
  2. `dbt build` of every model and test on that warehouse, and the peak memory so far;
  3. DuckDB alone reading the same files (read_csv / read_json with auto-detection, the files of
     one layout per call; GBK files read as latin-1, since DuckDB has no GBK decoder without a
     downloadable extension), into memory and into a database file,
and prints everything as JSON with the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import duckdb

from posaudit.ingest.landing import detect, landing_files, new_run_id
from posaudit.ingest.source import SourceFile
from posaudit.pipeline.dbt_runner import run_dbt
from posaudit.pipeline.refresh import run_ingest
from posaudit.pipeline.warehouse import Warehouse


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    assert row is not None  # an aggregate returns one row
    return int(row[0])


def duckdb_read(landing: Path, database: str = ":memory:",
                per_layout: dict[str, float] | None = None) -> tuple[float, int]:
    """Seconds and rows of DuckDB alone reading every landing file; ``per_layout`` (when
    given) receives the seconds of each layout's call."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path, name, folder in landing_files(landing):
        if path.suffix == ".zip":
            continue  # DuckDB cannot read inside a zip; ingest reads these few as well
        with path.open("rb") as fh:  # the head is enough to recognise the layout
            head = fh.read(65536)
        src = SourceFile(name=name, folder=folder, data=head)
        layout = detect(src)
        encoding = "utf-8"
        try:
            src.data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "latin-1"
        groups[(layout.name if layout else "unknown", encoding)].append(str(path))
    con = duckdb.connect(database, config={"memory_limit": "6GB"})
    rows = 0
    started = time.perf_counter()
    for i, ((layout_name, encoding), files) in enumerate(sorted(groups.items())):
        call_started = time.perf_counter()
        if layout_name == "terminal_events":
            sql = (f"create table t{i} as select * from "
                   f"read_json({files}, format='newline_delimited')")
        else:
            sql = (f"create table t{i} as select * from read_csv({files}, union_by_name=true, "
                   f"encoding='{encoding}', null_padding=true, ignore_errors=true)")
        try:
            con.execute(sql)
        except duckdb.Error:
            # DuckDB's latin-1 reader refuses some GBK bytes: read those leniently instead.
            con.execute(sql.replace(f"encoding='{encoding}', ", ""))
        rows += _count(con, f"select count(*) from t{i}")
        if per_layout is not None:
            per_layout[layout_name] = round(
                per_layout.get(layout_name, 0.0) + time.perf_counter() - call_started, 2)
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    con.close()
    return seconds, rows


def peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--terminals", type=int, default=600)
    parser.add_argument("--landing", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the generated landing zone")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="posaudit-bench-"))
    landing = args.landing
    gen_seconds = None
    if landing is None:
        from posaudit.tools.generator import GenerateConfig, generate

        landing = work / "landing"
        t = time.perf_counter()
        generate(GenerateConfig(out=landing, seed=1, days=args.days, terminals=args.terminals,
                                transactions=args.transactions))
        gen_seconds = time.perf_counter() - t
    size = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file())
    for p in landing.rglob("*"):  # warm the page cache so neither side pays for the disk
        if p.is_file():
            p.read_bytes()
    warehouse = Warehouse.at(work / "W")
    t = time.perf_counter()
    report = run_ingest(landing, warehouse, new_run_id())
    ingest_s = time.perf_counter() - t
    ingest_peak = peak_mb()
    t = time.perf_counter()
    print(json.dumps({"ingest_seconds": round(ingest_s, 1), "rows": report.rows_loaded,
                      "ingest_peak_rss_mb": ingest_peak}), flush=True)
    outcome = run_dbt(warehouse, ["build", "--exclude-resource-type", "unit_test"], quiet=True)
    dbt_s = time.perf_counter() - t
    build_peak = peak_mb()
    print(json.dumps({"dbt_build_seconds": round(dbt_s, 1), "success": outcome.success,
                      "refresh_peak_rss_mb": build_peak}), flush=True)
    mem_s, duck_rows = duckdb_read(landing)
    disk_s, _ = duckdb_read(landing, str(work / "duck.duckdb"))
    with duckdb.connect(str(warehouse.build_db)) as con:  # dbt holds it open, same config
        journal_rows = _count(con, "select (select count(*) from raw.pos_journal_v1) "
                                   "+ (select count(*) from raw.pos_journal_cn)")
        exceptions = _count(con, "select count(*) from main.fct_exceptions")
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB",
        "journal_transactions": journal_rows,
        "landing_bytes": size,
        "landing_files": sum(1 for p in landing.rglob("*") if p.is_file()),
        "generate_seconds": round(gen_seconds, 1) if gen_seconds else None,
        "ingest_seconds": round(ingest_s, 1),
        "ingest_rows": report.rows_loaded,
        "ingest_peak_rss_mb": ingest_peak,
        "dbt_build_seconds": round(dbt_s, 1),
        "dbt_build_success": outcome.success,
        "exceptions": exceptions,
        "refresh_seconds": round(ingest_s + dbt_s, 1),
        "refresh_peak_rss_mb": build_peak,
        "duckdb_read_in_memory_seconds": round(mem_s, 1),
        "duckdb_read_to_file_seconds": round(disk_s, 1),
        "duckdb_rows": duck_rows,
        "ingest_vs_duckdb_in_memory": round(ingest_s / mem_s, 2),
        "ingest_vs_duckdb_to_file": round(ingest_s / disk_s, 2),
        "refresh_vs_duckdb_in_memory": round((ingest_s + dbt_s) / mem_s, 2),
    }
    print(json.dumps(result, indent=2))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
