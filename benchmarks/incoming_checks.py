"""What the incoming data-quality checks add to ingest.

    python benchmarks/incoming_checks.py [--landing DIR ...] [--repeat 3] [--store file|memory]

For each landing zone (by default two generated ones: the test suite's small zone, 6,000
transactions over 10 days, and 1,000,000 transactions over 10 days on 100 terminals), runs
``ingest_landing`` into a fresh DuckDB file with the checks off and on, alternately,
``--repeat`` times. The checks-on run pays for everything a refresh pays for: the policy, the GX
project (file-backed as in a warehouse, unless ``--store memory``), the check columns computed
beside the parser, and the validations. Prints JSON: the median seconds each way, the overhead
in seconds and percent, and the time inside the validations.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from posaudit.expectations.config import DQConfig
from posaudit.expectations.core import DQContext
from posaudit.ingest.cardsafe import CardKey
from posaudit.pipeline.ingest_step import ingest_landing

KEY = CardKey(b"benchmark-card-key-0123456789")
SIZES: dict[str, dict[str, Any]] = {
    "small": {"seed": 7, "days": 10, "terminals": 12, "transactions": 6_000},
    "1m": {"seed": 1, "days": 10, "terminals": 100, "transactions": 1_000_000},
}


def generated(name: str, root: Path) -> Path:
    from posaudit.tools.generator import GenerateConfig, generate

    out = root / name
    generate(GenerateConfig(out=out, **SIZES[name]))
    return out


def one_run(landing: Path, work: Path, *, checks: bool, store: str) -> dict[str, Any]:
    """A fresh warehouse file; ``checks`` on or off."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        dq = None
        if checks:
            dq = DQContext(Path(tmp) / "dq") if store == "file" else DQContext()
        with duckdb.connect(str(Path(tmp) / "w.duckdb")) as con:
            report = ingest_landing(landing, con, KEY, checks=checks, dq=dq,
                                    config=DQConfig.load() if checks else None)
    return {
        "seconds": time.perf_counter() - started,
        "check_seconds": report.check_seconds,
        "files": len(report.outcomes),
        "rows": report.rows_loaded,
        "quarantined": report.count("QUARANTINED"),
        "validations": dq.validated if dq is not None else 0,
    }


def measure(landing: Path, work: Path, repeat: int, store: str) -> dict[str, Any]:
    one_run(landing, work, checks=True, store=store)  # warm the page cache and imports
    plain: list[dict[str, Any]] = []
    checked: list[dict[str, Any]] = []
    for _ in range(repeat):
        plain.append(one_run(landing, work, checks=False, store=store))
        checked.append(one_run(landing, work, checks=True, store=store))
    off = statistics.median(r["seconds"] for r in plain)
    on = statistics.median(r["seconds"] for r in checked)
    validating = statistics.median(r["check_seconds"] for r in checked)
    return {
        "landing": str(landing),
        "files": checked[0]["files"],
        "rows_loaded": checked[0]["rows"],
        "quarantined": checked[0]["quarantined"],
        "validations": checked[0]["validations"],
        "ingest_seconds_without_checks": round(off, 2),
        "ingest_seconds_with_checks": round(on, 2),
        "overhead_seconds": round(on - off, 2),
        "overhead_percent": round(100 * (on - off) / off, 1),
        "validation_seconds": round(validating, 2),
        "runs": {"without": [round(r["seconds"], 2) for r in plain],
                 "with": [round(r["seconds"], 2) for r in checked]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--landing", type=Path, action="append",
                        help="a landing zone to measure (repeatable); default: generate two")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", choices=("file", "memory"), default="file",
                        help="GX project on disk, as a warehouse keeps it, or in memory")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="incoming-checks-") as tmp:
        work = Path(tmp)
        landings = args.landing or [generated(name, work) for name in SIZES]
        result = {
            "machine": {"python": platform.python_version(), "cpus": _cpus()},
            "store": args.store,
            "repeat": args.repeat,
            "landings": [measure(landing, work, args.repeat, args.store)
                         for landing in landings],
        }
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
