"""DuckDB's models reading the raw layer: loaded tables (as posaudit does) or views over the
raw Parquet files, timed on the same warehouse.

    python benchmarks/raw_sources.py W [--repeat 2] [--out FILE]

W is a warehouse a DuckDB refresh built (``posaudit refresh``; the benchmark harness keeps its
own with ``benchmarks/refresh.py --keep``). Its build database is copied twice:

- ``tables``: as it is, the raw tables loaded by ingest;
- ``views``: every raw table that has Parquet files (``W/raw/<table>/``) replaced by a view
  over them, with the table's columns in the table's order.

Then ``dbt run --full-refresh`` rebuilds every model on each copy in turn (``--repeat`` times,
alternating, in a subprocess each). The figure to compare is ``all_models_seconds``: the
staging models are views, so the raw layer is read inside the models built on them
(``staging_seconds`` is only the views' own creation). ``build_db_bytes_before_run`` is each
copy's file size; dropping the raw tables frees their blocks without shrinking the file.
Prints the JSON and writes it to ``--out`` when given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
RAW_SCHEMA = "raw"
VARIANTS = ("tables", "views")


def as_views(db: Path, raw_dir: Path) -> list[str]:
    """Replace each raw table of ``db`` that has Parquet files by a view over them."""
    replaced = []
    with duckdb.connect(str(db)) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_type = 'BASE TABLE' order by 1", [RAW_SCHEMA]).fetchall()]
        for table in tables:
            folder = raw_dir / table
            if not any(folder.glob("*.parquet")):
                continue
            columns = ", ".join(f'"{c}"' for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = ? "
                "and table_name = ? order by ordinal_position", [RAW_SCHEMA, table]).fetchall())
            con.execute(f"drop table {RAW_SCHEMA}.{table}")
            con.execute(f"create view {RAW_SCHEMA}.{table} as select {columns} "
                        f"from read_parquet('{folder}/*.parquet')")
            replaced.append(table)
        con.execute("checkpoint")
    return replaced


def run_models(db: Path, work: Path, label: str) -> dict[str, Any]:
    """``dbt run --full-refresh`` on ``db``: wall seconds, and seconds in staging and in the
    other models, from dbt's run results."""
    target = work / f"target-{label}"
    env = {**os.environ, "POSAUDIT_DB_PATH": str(db)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "dbt.cli.main", "run", "--full-refresh", "--project-dir",
         str(ROOT), "--profiles-dir", str(ROOT), "--target-path", str(target), "--log-path",
         str(work / f"logs-{label}")], env=env, cwd=ROOT, capture_output=True, text=True,
        check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"dbt run failed on {label}:\n{done.stdout[-3000:]}")
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    staging = sum(r["execution_time"] for r in results if ".stg_" in r["unique_id"])
    models = sum(r["execution_time"] for r in results)
    return {"wall_seconds": round(seconds, 2), "staging_seconds": round(staging, 2),
            "all_models_seconds": round(models, 2), "models": len(results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    build_db = args.warehouse / "build.duckdb"
    raw_dir = args.warehouse / "raw"
    with tempfile.TemporaryDirectory(prefix="posaudit-raw-sources-") as tmp:
        work = Path(tmp)
        dbs = {v: work / f"{v}.duckdb" for v in VARIANTS}
        for db in dbs.values():
            shutil.copy(build_db, db)
        replaced = as_views(dbs["views"], raw_dir)
        runs: dict[str, list[dict[str, Any]]] = {v: [] for v in VARIANTS}
        for i in range(args.repeat):
            for variant in VARIANTS:
                runs[variant].append(run_models(dbs[variant], work, f"{variant}-{i}"))
                print(f"{variant} #{i + 1}: {runs[variant][-1]}", file=sys.stderr, flush=True)
        sizes = {v: dbs[v].stat().st_size for v in VARIANTS}
    parquet_bytes = sum(p.stat().st_size for p in raw_dir.rglob("*.parquet"))
    result = {
        "date": date.today().isoformat(),
        "warehouse": str(args.warehouse),
        "raw_tables_as_views": replaced,
        "raw_parquet_bytes": parquet_bytes,
        "build_db_bytes_before_run": sizes,
        "runs": runs,
        "median": {v: {k: statistics.median(r[k] for r in runs[v])
                       for k in ("wall_seconds", "staging_seconds", "all_models_seconds")}
                   for v in VARIANTS},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
