"""Ingest speed against DuckDB's own CSV/JSON reader on the same landing files.

    python benchmarks/ingest_vs_duckdb.py [--transactions 10000000] [--landing DIR] [--keep]

Generates a landing zone (unless --landing is given), then times
  1. posaudit's ingest (polars parse, validation, card tokenising, DuckDB load, manifest) into a
     fresh database, and
  2. DuckDB alone reading the same files into in-memory tables (read_csv / read_json with
     auto-detection, files of one layout per call; GBK files read as latin-1, since DuckDB has
     no GBK decoder without a downloadable extension),
and prints both with their ratio (the target is at most 2x) and peak memory of the ingest.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.cardsafe import CardKey
from ingest.landing import detect, ingest_landing, landing_files
from ingest.source import SourceFile


def duckdb_read(landing: Path) -> tuple[float, int]:
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path, name, folder in landing_files(landing):
        if path.suffix == ".zip":
            continue  # DuckDB cannot read inside a zip; ingest reads these few as well
        src = SourceFile(name=name, folder=folder, data=path.read_bytes()[:65536])
        layout = detect(src)
        encoding = "utf-8"
        try:
            src.data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "latin-1"
        groups[(layout.name if layout else "unknown", encoding)].append(str(path))
    con = duckdb.connect()
    rows = 0
    started = time.perf_counter()
    for i, ((layout, encoding), files) in enumerate(sorted(groups.items())):
        if layout == "terminal_events":
            sql = (f"create table t{i} as select * from "
                   f"read_json({files}, format='newline_delimited')")
        else:
            sql = (f"create table t{i} as select * from read_csv({files}, union_by_name=true, "
                   f"encoding='{encoding}', null_padding=true, ignore_errors=true)")
        con.execute(sql)
        rows += con.execute(f"select count(*) from t{i}").fetchone()[0]  # type: ignore[index]
    return time.perf_counter() - started, rows


def posaudit_ingest(landing: Path, db: Path) -> tuple[float, int]:
    key = CardKey(b"benchmark-key-not-secret-000000")
    with duckdb.connect(str(db)) as con:
        started = time.perf_counter()
        report = ingest_landing(landing, con, key)
        con.execute("CHECKPOINT")
        return time.perf_counter() - started, report.rows_loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--terminals", type=int, default=400)
    parser.add_argument("--landing", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the generated landing zone")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="posaudit-bench-"))
    landing = args.landing
    gen_seconds = None
    if landing is None:
        from posaudit.generate import GenerateConfig, generate

        landing = work / "landing"
        t = time.perf_counter()
        generate(GenerateConfig(out=landing, seed=1, days=args.days, terminals=args.terminals,
                                transactions=args.transactions))
        gen_seconds = time.perf_counter() - t
    size = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file())
    for p in landing.rglob("*"):  # warm the page cache so neither side pays for the disk
        if p.is_file():
            p.read_bytes()
    ours_s, ours_rows = posaudit_ingest(landing, work / "bench.duckdb")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before DuckDB's read
    duck_s, duck_rows = duckdb_read(landing)
    result = {
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
                   f"{__import__('os').cpu_count()} cores",
        "transactions": args.transactions if args.landing is None else None,
        "landing_bytes": size,
        "generate_seconds": round(gen_seconds, 1) if gen_seconds else None,
        "duckdb_read_seconds": round(duck_s, 2),
        "duckdb_rows": duck_rows,
        "posaudit_ingest_seconds": round(ours_s, 2),
        "posaudit_rows": ours_rows,
        "ratio": round(ours_s / duck_s, 2),
        "ingest_peak_rss_mb": round(peak_mb),
    }
    print(json.dumps(result, indent=2))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
