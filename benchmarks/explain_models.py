"""EXPLAIN ANALYZE of dbt models on a built warehouse: where each model's time goes.

    python benchmarks/explain_models.py WAREHOUSE MODEL [MODEL ...] [--memory-limit 2500MB]
                                        [--top 8] [--out FILE]

Runs the SQL dbt compiled for each model in the warehouse's last refresh
(``W/dbt/target/compiled``; after a first refresh that is the full build's) against the
published snapshot, read-only, under DuckDB's JSON profiler and the refresh's memory limit, and
writes the result into a scratch database beside nothing of the warehouse's. For each model: the
seconds, the bytes DuckDB spilled to disk and read back, and the operators that took the most
time (summed over both threads, so they add up to about twice the seconds).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from posaudit.pipeline.warehouse import Warehouse


def compiled_sql(warehouse: Path, model: str) -> str:
    found = sorted((warehouse / "dbt" / "target" / "compiled").rglob(f"{model}.sql"))
    if not found:
        raise SystemExit(f"{model}: no compiled SQL under {warehouse}/dbt/target/compiled")
    return found[0].read_text(encoding="utf-8")


def operators(node: dict[str, Any], out: list[dict[str, Any]]) -> None:
    out.append({"operator": node.get("name"), "seconds": round(node.get("timing", 0.0), 2),
                "rows": node.get("intermediate_rows"),
                "detail": {k: v for k, v in (node.get("extra_info") or {}).items()
                           if k in ("Conditions", "Join Type", "Table", "Projections",
                                    "CTE Name", "Aggregates", "Groups")}})
    for child in node.get("children", []):
        operators(child, out)


def explain(snapshot: Path, sql: str, memory_limit: str, top: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="explain-") as scratch:
        profile = Path(scratch) / "profile.json"
        con = duckdb.connect(str(Path(scratch) / "out.duckdb"))
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute("set preserve_insertion_order = false")
        con.execute(f"set temp_directory = '{scratch}/spill'")
        # The compiled SQL names the build database's catalog.
        con.execute(f"attach '{snapshot}' as build (read_only)")
        con.execute("set enable_profiling = 'json'")
        con.execute(f"set profiling_output = '{profile}'")
        start = time.perf_counter()
        con.execute(f"create table out as {sql}")
        seconds = time.perf_counter() - start
        con.execute("set enable_profiling = 'no_output'")
        rows = con.execute("select count(*) from out").fetchone()
        con.close()
        tree = json.loads(profile.read_text(encoding="utf-8"))
    ops: list[dict[str, Any]] = []
    for root in tree.get("operator", []):
        operators(root, ops)
    io = tree.get("io") or {}
    return {
        "seconds": round(seconds, 2),
        "rows": rows[0] if rows else None,
        "spilled_gib": round(io.get("total_bytes_written", 0) / 2**30, 2),
        "read_back_gib": round(io.get("total_bytes_read", 0) / 2**30, 2),
        "slowest_operators": sorted(ops, key=lambda o: -o["seconds"])[:top],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("models", nargs="+")
    parser.add_argument("--memory-limit", default="2500MB")
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    snapshot = Warehouse.at(args.warehouse).current_snapshot()
    result: dict[str, Any] = {"warehouse": str(args.warehouse), "snapshot": snapshot.name,
                              "memory_limit": args.memory_limit, "models": {}}
    for model in args.models:
        result["models"][model] = explain(snapshot, compiled_sql(args.warehouse, model),
                                          args.memory_limit, args.top)
        print(f"{model}: {result['models'][model]['seconds']} s", flush=True)
    text = json.dumps(result, indent=1, ensure_ascii=False)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
