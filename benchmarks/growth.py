"""How the warehouse folder grows, refresh by refresh.

    python benchmarks/growth.py [--days 14] [--added 3] [--unchanged 3] [--seed 3]
                                [--work DIR] [--out FILE]

A generated zone of D + A days is split (``posaudit.tools.generator.extra_day.split``, one day at a
time from the end) into its first D days and A days to deliver later. Then, each as a
``posaudit refresh`` subprocess: one refresh of the first D days, A refreshes that each add a
day, and U refreshes with nothing new. After each: its wall seconds, exit code, outcome (from
its run record), the warehouse folder's bytes, build.duckdb's bytes and the snapshots kept.
Prints the JSON and saves it (default benchmarks/results/growth-<date>.json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from posaudit.tools.generator.extra_day import add_files, split

ROOT = Path(__file__).resolve().parents[1]
POSAUDIT = [sys.executable, "-m", "posaudit.cli"]


def folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def refresh(landing: Path, warehouse: Path, label: str) -> dict[str, Any]:
    t = time.perf_counter()
    done = subprocess.run([*POSAUDIT, "refresh", "--landing", str(landing), "--warehouse",
                           str(warehouse)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "POSAUDIT_PROGRESS": "plain"})
    seconds = round(time.perf_counter() - t, 2)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{label}: exit {done.returncode}\n{done.stdout[-3000:]}"
                         f"\n{done.stderr[-3000:]}")
    runs = sorted((warehouse / "runs").glob("*.json"))
    record = json.loads(runs[-1].read_text(encoding="utf-8"))
    return {
        "refresh": label, "seconds": seconds, "exit_code": done.returncode,
        "outcome": record.get("outcome"),
        "steps": {k: v for k, v in (record.get("timings") or {}).items()
                  if k in ("ingest", "dbt_build", "checks", "compact", "publish", "total")},
        "folder_bytes": folder_bytes(warehouse),
        "build_bytes": (warehouse / "build.duckdb").stat().st_size,
        "snapshots": len(list((warehouse / "snapshots").glob("*.duckdb"))),
        "compacted": next((line for line in done.stdout.splitlines()
                           if "build database compacted" in line), None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--added", type=int, default=3)
    parser.add_argument("--unchanged", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="posaudit-growth-"))
    landing, warehouse = work / "landing", work / "warehouse"
    subprocess.run([*POSAUDIT, "generate", "--out", str(landing), "--seed", str(args.seed),
                    "--days", str(args.days + args.added)], check=True, cwd=ROOT,
                   capture_output=True)
    held = [work / f"day-{i}" for i in range(args.added, 0, -1)]  # the last day first
    for folder in held:
        split(landing, folder)
    runs = [refresh(landing, warehouse, f"first {args.days} days")]
    for i, folder in enumerate(reversed(held), 1):
        add_files(folder, landing)
        runs.append(refresh(landing, warehouse, f"day {args.days + i} added"))
    runs += [refresh(landing, warehouse, "nothing new") for _ in range(args.unchanged)]
    result = {"date": date.today().isoformat(), "days": args.days, "seed": args.seed,
              "work": str(work), "runs": runs}
    text = json.dumps(result, indent=2)
    print(text)
    out = args.out or ROOT / "benchmarks" / "results" / f"growth-{result['date']}.json"
    out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
