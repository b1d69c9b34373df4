"""What every refresh pays before it touches any data: the floor under the fixed-cost target.

    python benchmarks/fixed_floor.py [--work DIR] [--repeat 3] [--out FILE]

On the fixed-cost benchmark's small warehouse (``posaudit generate`` of 5,000 transactions over
8 + 1 days and 20 terminals; refresh.py's step 6), each measured in a fresh process, the
median of ``--repeat`` runs:

1. Python starting (``python -c pass``).
2. Importing what a refresh needs: one library at a time (posaudit's refresh, dbt with its
   DuckDB adapter, Great Expectations), and all of them in one process, Python's start
   included, as a refresh imports them.
3. dbt parsing the project, as every refresh after the first does (partial parse, from the
   state a parse of the same database left in its dbt target folder).
4. dbt with nothing to compute, on a copy of the build database: every seed and model built
   from no rows (``dbt build --empty``), then every data test on those empty tables. What is
   left is dbt's own work per node (selecting, compiling, the statements each materialization
   issues, its events and logs) and DuckDB's per-statement cost.
5. The same small warehouse given its extra day by ``posaudit refresh``: the fixed cost itself.

The floor is the imports in one process (2) + 3 + 4: what a refresh that runs dbt's models and
data tests and Great Expectations costs however little data it has. Prints the JSON and saves
it (default benchmarks/results/fixed-floor-<date>.json).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

# refresh.py's own small zone, generation and measured refresh: the fixed cost it reports
from refresh import FIXED_COST_DAYS, FIXED_COST_TRANSACTIONS, generate, refresh

from posaudit.tools.generator.extra_day import add_files, split

HERE = Path(__file__).resolve().parent
TERMINALS = 20  # as refresh.py's fixed_cost

IMPORTS = {
    "posaudit refresh": "import posaudit.cli, posaudit.pipeline.refresh",
    "dbt and its DuckDB adapter": "import dbt.cli.main, dbt.adapters.duckdb",
    "Great Expectations": "import great_expectations",
}
# All three in one process, as a refresh imports them: what they share is counted once.
ALL_IMPORTS = "; ".join(IMPORTS.values())

DBT_PARSE = """
import sys
from posaudit.pipeline.dbt_runner import parse_project
from posaudit.pipeline.warehouse import Warehouse
assert parse_project(Warehouse.at(sys.argv[1]))[0].success
"""

# Runs in a fresh process: dbt parse, then build and test with the parsed manifest, timed.
DBT_EMPTY = """
import json, sys, time
from pathlib import Path
t = time.perf_counter()
from posaudit.pipeline.dbt_runner import parse_project, run_dbt
from posaudit.pipeline.warehouse import Warehouse
import dbt.adapters.duckdb
imported = time.perf_counter()
wh = Warehouse.at(sys.argv[1])
parsed, manifest = parse_project(wh)
assert parsed.success, parsed.error
done_parse = time.perf_counter()
skip = ["--exclude-resource-type", "unit_test"]
built = run_dbt(wh, ["build", "--empty", *skip, "--exclude-resource-type", "test"],
                quiet=True, manifest=manifest)
done_build = time.perf_counter()
tested = run_dbt(wh, ["test", *skip], quiet=True, manifest=manifest)
done_test = time.perf_counter()
print(json.dumps({
    "import_seconds": round(imported - t, 3),
    "parse_seconds": round(done_parse - imported, 3),
    "build_empty_seconds": round(done_build - done_parse, 3),
    "test_empty_seconds": round(done_test - done_build, 3),
    "models_and_seeds": sum(n["resource_type"] in ("model", "seed") for n in built.nodes),
    "build_ok": built.success,
    "data_tests": sum(n["resource_type"] == "test" for n in tested.nodes),
    "test_ok": tested.success,
}))
"""


def timed(cmd: list[str]) -> tuple[float, str]:
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def succeeded(measured: dict[str, Any], what: str) -> dict[str, Any]:
    """A step refresh.py measured, or the run stops (a refresh with warnings exits 1)."""
    if measured["exit_code"] not in (0, 1):
        raise SystemExit(f"{what} failed ({measured['exit_code']}): see {measured['log']}")
    return measured


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def small_warehouse(work: Path) -> tuple[Path, Path, Path]:
    """The fixed-cost warehouse: its first days refreshed; the extra day held back."""
    landing, extra, warehouse = work / "landing", work / "extra", work / "W"
    succeeded(generate(landing, days=FIXED_COST_DAYS + 1, terminals=TERMINALS,
                       transactions=FIXED_COST_TRANSACTIONS, seed=1, log=work / "generate.log"),
              "posaudit generate")
    split(landing, extra)
    succeeded(refresh(landing, warehouse, work / "full.log"), "the first refresh")
    return landing, extra, warehouse


def empty_build(warehouse: Path, scratch: Path) -> dict[str, Any]:
    """dbt on a copy of the build database, in a fresh process (DBT_EMPTY)."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    shutil.copyfile(warehouse / "build.duckdb", scratch / "build.duckdb")
    # A parse first, untimed: the partial-parse state every refresh after the first starts from
    # (it is tied to the database path, so the warehouse's own would not serve the copy).
    timed([sys.executable, "-c", DBT_PARSE, str(scratch)])
    seconds, out = timed([sys.executable, "-c", DBT_EMPTY, str(scratch)])
    figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    figures["process_seconds"] = round(seconds, 3)
    return figures


def day_added(landing: Path, extra: Path, warehouse: Path, scratch: Path) -> float:
    """``posaudit refresh`` adding the extra day to a copy of the small warehouse."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(warehouse, scratch / "W", symlinks=True)
    shutil.copyfile(warehouse.with_name("W.card-key"), scratch / "W.card-key")
    shutil.copytree(landing, scratch / "landing")
    add_files(extra, scratch / "landing")
    added = refresh(scratch / "landing", scratch / "W", scratch / "refresh.log")
    return float(succeeded(added, "the day added")["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, help="folder for the work folder")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="posaudit-fixed-floor-", dir=args.work))
    try:
        landing, extra, warehouse = small_warehouse(work)
        start = [timed([sys.executable, "-c", "pass"])[0] for _ in range(args.repeat)]
        imports = {name: median([timed([sys.executable, "-c", code])[0]
                                 for _ in range(args.repeat)])
                   for name, code in IMPORTS.items()}
        imported = median([timed([sys.executable, "-c", ALL_IMPORTS])[0]
                           for _ in range(args.repeat)])
        empties = [empty_build(warehouse, work / "empty") for _ in range(args.repeat)]
        dbt = {k: median([e[k] for e in empties]) for k in
               ("parse_seconds", "build_empty_seconds", "test_empty_seconds")}
        dbt |= {k: empties[0][k] for k in ("models_and_seeds", "data_tests", "build_ok",
                                           "test_ok")}
        added = [day_added(landing, extra, warehouse, work / "added")
                 for _ in range(args.repeat)]
        floor = round(imported + dbt["parse_seconds"] + dbt["build_empty_seconds"]
                      + dbt["test_empty_seconds"], 3)
        result = {
            "date": date.today().isoformat(),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "warehouse": {"transactions": FIXED_COST_TRANSACTIONS, "days": FIXED_COST_DAYS,
                          "terminals": TERMINALS},
            "repeat": args.repeat,
            "python_start_seconds": median(start),
            "import_seconds": imports,
            "import_seconds_all_in_one_process": imported,
            "dbt": dbt,
            "floor_seconds": floor,
            "day_added_seconds": median(added),
            "day_added_runs": [round(a, 3) for a in added],
            "target_seconds": 5.0,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(result, indent=2)
    print(text)
    out = args.out or HERE / "results" / f"fixed-floor-{result['date']}.json"
    out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
