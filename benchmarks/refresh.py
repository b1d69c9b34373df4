"""posaudit refresh, side by side with its floor and a pandas script, in one run.

    python benchmarks/refresh.py [--transactions 10000000] [--days 100] [--terminals 600]
                                 [--landing DIR] [--skip-pandas] [--full-only] [--keep]
                                 [--out FILE] [--work DIR] [--engine duckdb|spark]

1. Landing zone: generates D + 1 days (N × (D + 1) / D transactions, ending yesterday, so that
   the incoming date checks accept every line) with ``posaudit generate``, or copies
   ``--landing`` (a generated zone, D + 1 days long), then splits it into the first D days and
   the extra day E (the zone's last business day) with ``posaudit.tools.generator.extra_day.split``
   (which files move is described there).
   The first D days then have exactly the coverage a D-day zone has: journals to E − 1,
   settlement files to E − 2, bank statements to E − 1.
2. Full refresh of the first D days: ``posaudit refresh`` as a subprocess (wall seconds, peak
   RSS, step timings from the run record).
3. The floor: polars and DuckDB each reading the same raw files into memory, GBK decoded as
   GBK and the zipped bills opened (floor.py), each in a subprocess; the faster is the floor.
4. The pandas baseline (pandas_baseline.py) on the same landing zone, in a subprocess; its
   exceptions (count, exposure and root causes by type) beside posaudit's fct_exceptions.
5. Incremental refresh: the extra day's files copied in, ``posaudit refresh`` again.
6. Fixed cost: steps 1, 2 and 5 on a 5,000-transaction zone (8 + 1 days, 20 terminals), so
   that the day added costs only what every refresh costs whatever the data.

``--full-only`` stops after step 2: a point of the scale curve (scale_curve.py), where the time
per million journal lines is what counts.

The performance targets are ratios measured side by side: the full refresh at least as fast
as pandas, ingest plus models at least 1.5 times as fast, the full refresh within 2.5 times
the floor, a day added within 15 s, the fixed cost within 5 s, peak memory within 6 GB and a
third of pandas'. Beside a target in seconds stands its floor, measured in the same run (the
read for the full refresh, the fixed cost for a day added): a target below its floor cannot be
met on the machine the run measured, however fast posaudit's own work becomes. Each refresh
step's CPU use (user + system seconds per wall second; 2.0 is both cores of two) comes from
the run record.

Peak RSS of a subprocess is the larger of wait4's ru_maxrss (the largest single process among
it and its waited-for children) and the process tree's summed RSS sampled every 0.2 s. Before
each measurement the landing files are read once, so that no side pays for the disk. Prints
the JSON and saves it (default benchmarks/results/refresh-<date>.json), with the machine,
versions, every figure and each performance target as pass/fail beside the measured number.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from posaudit.tools.generator.extra_day import add_files, copy_tree, split

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POSAUDIT = [sys.executable, "-m", "posaudit.cli"]
MIB = 2**20
# The performance targets (6 GB read as 6 × 10⁹ bytes: the stricter reading).
TARGET_VS_PANDAS = 1.0  # pandas seconds / full refresh seconds, at least
TARGET_BUILD_VS_PANDAS = 1.5  # pandas seconds / (ingest + models) seconds, at least
TARGET_VS_FLOOR = 2.5  # full refresh seconds / floor seconds, at most
TARGET_INCREMENTAL_S = 15.0
TARGET_FIXED_S = 5.0
TARGET_PEAK_MIB = 6e9 / MIB
TARGET_MEMORY_SHARE = 1 / 3
TARGET_SCALE = 10_000_000
# Disk a run needs per byte of landing zone: the warehouse's build database and snapshots
# (each about 1.4 times the landing zone at 10 million transactions) and DuckDB's spill files.
DISK_PER_LANDING_BYTE = 6
# The fixed-cost step: a warehouse so small that a refresh costs only what every refresh costs.
FIXED_COST_TRANSACTIONS = 5_000
FIXED_COST_DAYS = 8


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- measuring a subprocess ------------------------------------------------------------------


def _tree_rss(root: int) -> int:
    """Summed RSS (bytes) of ``root`` and its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name may hold spaces: the fields after its closing parenthesis are fixed.
        fields = stat[stat.rfind(b")") + 2:].split()
        parents[int(entry)] = int(fields[1])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * page
        except OSError:
            continue
    return total


def measure(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd`` (output to ``log``); wall seconds, exit code and peak RSS in MiB."""
    peak = [0]
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                env=env or os.environ.copy())
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.2):
                peak[0] = max(peak[0], _tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    maxrss = usage.ru_maxrss * 1024  # KiB on Linux
    return {
        "seconds": round(seconds, 2),
        # The process and the children it waited for, every thread: 2.0 is two busy cores.
        "cpu_use": round((usage.ru_utime + usage.ru_stime) / seconds, 2) if seconds else None,
        "exit_code": proc.returncode,
        "peak_rss_mib": round(max(maxrss, peak[0]) / MIB),
        "ru_maxrss_mib": round(maxrss / MIB),
        "tree_rss_sampled_mib": round(peak[0] / MIB),
        "log": str(log),
    }


def warm(folder: Path) -> None:
    """Read every file once so that the page cache, not the disk, serves the measured runs."""
    for p in folder.rglob("*"):
        if p.is_file():
            with p.open("rb") as fh:
                while fh.read(1 << 24):
                    pass


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def folder_size(folder: Path) -> dict[str, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}


# --- posaudit side ---------------------------------------------------------------------------


def refresh(landing: Path, warehouse: Path, log: Path, engine: str = "duckdb") -> dict[str, Any]:
    runs = warehouse / "runs"
    before = set(runs.glob("*.json")) if runs.is_dir() else set()
    result = measure([*POSAUDIT, "refresh", "--landing", str(landing), "--warehouse",
                      str(warehouse), "--engine", engine], log)
    new = sorted(set(runs.glob("*.json")) - before) if runs.is_dir() else []
    if new:
        record = json.loads(new[-1].read_text(encoding="utf-8"))
        result["run_id"] = record.get("run_id")
        result["outcome"] = record.get("outcome")
        result["steps"] = record.get("timings")
        result["cpu_use_per_step"] = record.get("cpu_use")
        result["build"] = record.get("build")  # FULL, or INCREMENTAL from which date
        if result["exit_code"] not in (0, 1):  # why it did not publish, kept with the figures
            result["messages"] = record.get("messages", [])[:20]
            result["failed_dbt_nodes"] = [
                {"node": n.get("name"), "status": n.get("status"), "message": n.get("message")}
                for n in record.get("dbt", [])
                if n.get("status") in ("error", "fail", "runtime error")]
        result["slowest_dbt_nodes"] = sorted(
            ({"node": n.get("name"), "seconds": n.get("seconds")} for n in record.get("dbt", [])
             if isinstance(n.get("seconds"), int | float)),
            key=lambda n: -n["seconds"])[:12]
        rows: dict[str, int] = {}
        statuses: dict[str, int] = {}
        for f in record.get("files", []):
            statuses[f.get("status") or "?"] = statuses.get(f.get("status") or "?", 0) + 1
            if f.get("status") == "LOADED":
                layout = f.get("layout") or "?"
                rows[layout] = rows.get(layout, 0) + int(f.get("rows_loaded") or 0)
        result["files_by_status"] = dict(sorted(statuses.items()))
        result["rows_loaded"] = dict(sorted(rows.items()))
        result["journal_rows_loaded"] = rows.get("pos_journal_v1", 0) + rows.get(
            "pos_journal_cn", 0)
    return result


def exceptions_of(warehouse: Path) -> dict[str, dict[str, Any]]:
    """fct_exceptions by type: counts, exposure (yuan) and counts by root cause."""
    out = subprocess.run(
        [*POSAUDIT, "sql", "--warehouse", str(warehouse), "--csv",
         "select exception_type, root_cause, count(*) as n, sum(exposure_amount) as e "
         "from fct_exceptions group by all order by 1, 2"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    counts: dict[str, int] = {}
    exposure: dict[str, float] = {}
    causes: dict[str, int] = {}
    for row in csv.DictReader(io.StringIO(out.stdout)):
        kind = row["exception_type"]
        counts[kind] = counts.get(kind, 0) + int(row["n"])
        exposure[kind] = round(exposure.get(kind, 0.0) + float(row["e"] or 0), 2)
        causes[f"{kind}/{row['root_cause']}"] = int(row["n"])
    return {"exceptions": counts, "exposure_by_type": exposure, "root_causes": causes}


def compare(ours: dict[str, dict[str, Any]], theirs: dict[str, Any]) -> dict[str, Any]:
    """posaudit's exceptions beside the pandas script's: per figure, what differs."""
    out: dict[str, Any] = {"posaudit": ours["exceptions"], "pandas": theirs["exceptions"]}
    agree = True
    for figure in ("exceptions", "exposure_by_type", "root_causes"):
        a, b = ours[figure], theirs.get(figure, {})
        diff = {k: {"posaudit": a.get(k), "pandas": b.get(k)} for k in sorted(set(a) | set(b))
                if a.get(k) != b.get(k)}
        out[f"{figure}_differences"] = diff
        agree = agree and not diff
    out["agree"] = agree
    return out


# --- the run ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "cpu_model": model,
        "arch": platform.machine(),
        "kernel": platform.release(),
    }


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("posaudit", "duckdb", "polars", "pandas", "pyarrow", "dbt-core",
                    "dbt-duckdb", "great-expectations", "dbt-spark", "pyspark"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        out["git_commit"] = commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        out["git_commit"] = "?"
    return out


def target(description: str, measured: float | None, ok: bool | None,
           floor: dict[str, Any] | None = None) -> dict[str, Any]:
    """A target, its measured figure, and (``floor``) what no refresh on this machine can go
    below, measured in the same run: a target under its floor is out of reach here."""
    found: dict[str, Any] = {"target": description, "measured": measured, "pass": ok}
    if floor is not None:
        found["floor"] = floor
    return found


def floor(what: str, seconds: float | None, limit: float) -> dict[str, Any] | None:
    if seconds is None:
        return None
    return {"what": what, "seconds": seconds, "target_reachable": seconds < limit}


def generate(landing: Path, *, days: int, terminals: int, transactions: int, seed: int,
             log: Path) -> dict[str, Any]:
    """``posaudit generate`` of ``days`` days ending yesterday (so that the incoming checks'
    "no date after tomorrow" rule accepts every line), measured."""
    start = date.today() - timedelta(days=days)
    return measure([*POSAUDIT, "generate", "--out", str(landing), "--seed", str(seed),
                    "--days", str(days), "--terminals", str(terminals), "--transactions",
                    str(transactions), "--start", start.isoformat()], log)


def fixed_cost(work: Path, engine: str) -> dict[str, Any]:
    """A refresh that adds one day to a warehouse of a few thousand transactions: what every
    such refresh pays whatever the data (process start, dbt's parse and its per-node work for
    every model and data test, the Great Expectations suites, publishing)."""
    landing, extra, warehouse = work / "tiny-landing", work / "tiny-extra", work / "tiny-W"
    gen = generate(landing, days=FIXED_COST_DAYS + 1, terminals=20,
                   transactions=FIXED_COST_TRANSACTIONS, seed=1, log=work / "tiny-generate.log")
    if gen["exit_code"] != 0:
        return {"error": f"generate failed: see {gen['log']}"}
    split(landing, extra)
    first = refresh(landing, warehouse, work / "tiny-full.log", engine)
    add_files(extra, landing)
    added = refresh(landing, warehouse, work / "tiny-incremental.log", engine)
    return {"transactions": FIXED_COST_TRANSACTIONS, "days": FIXED_COST_DAYS,
            "full_refresh": {k: first.get(k) for k in ("seconds", "exit_code", "steps")},
            "incremental_refresh": {k: added.get(k) for k in
                                    ("seconds", "exit_code", "steps", "build",
                                     "journal_rows_loaded")}}


def read_floor(landing: Path, reader: str, log: Path) -> dict[str, Any]:
    """One reader of floor.py in its own process: its wall figures and its own report."""
    found = measure([sys.executable, str(HERE / "floor.py"), str(landing), "--reader", reader],
                    log)
    lines = Path(found["log"]).read_text(encoding="utf-8").strip().splitlines()
    found["wall_seconds"] = found.pop("seconds")  # the process, start and imports included
    if found["exit_code"] == 0 and lines:
        report = json.loads(lines[-1])[reader]
        found["read_seconds"] = report.pop("seconds")
        found.update(report)
    return found


def scale_point(result: dict[str, Any], full: dict[str, Any]) -> None:
    """A point of the scale curve (--full-only): the full refresh alone, per million journal
    lines, with its steps' CPU use (scale_curve.py splits the steps per million)."""
    journal = full.get("journal_rows_loaded") or 0
    steps = full.get("steps") or {}
    result["scale_point"] = {
        "journal_lines": journal,
        "full_refresh_seconds": full["seconds"],
        "seconds_per_million_lines": round(full["seconds"] / (journal / 1e6), 2)
        if journal else None,
        "peak_rss_mib": full["peak_rss_mib"],
        "not_measured": "the floor, the pandas script, the day added and the fixed cost "
                        "(a full run of this script measures them)",
    }
    result["steps_under_one_and_a_half_cores"] = {
        step: {"cpu_use": use, "seconds": steps.get(step)}
        for step, use in (full.get("cpu_use_per_step") or {}).items()
        if use < 1.5 and (steps.get(step) or 0) >= 1}


def compare_side_by_side(args: argparse.Namespace, result: dict[str, Any], work: Path,
                         landing: Path, extra: Path, warehouse: Path, full: dict[str, Any],
                         found: dict[str, dict[str, Any]] | None) -> None:
    """Steps 3 to 6: the floor, the pandas script, the day added and the fixed cost, then the
    ratios and targets, into ``result``."""
    readers: dict[str, dict[str, Any]] = {}
    for reader in ("polars", "duckdb"):
        warm(landing)
        say(f"the floor: {reader} reading the raw files")
        readers[reader] = read_floor(landing, reader, work / f"floor-{reader}.log")
        say(f"{reader}: {readers[reader].get('read_seconds')} s read")
    read = {r: f["read_seconds"] for r, f in readers.items() if "read_seconds" in f}
    result["floor"] = {
        "readers": readers,
        "seconds": min(read.values()) if read else None,
        "by": min(read, key=lambda r: read[r]) if read else None,
        "how": "the faster of polars and DuckDB reading every landing file into memory, "
               "every cell as text, GBK decoded as GBK, zipped bills opened (floor.py); "
               "the reading alone, after imports",
    }
    floor_s = result["floor"]["seconds"]

    pandas: dict[str, Any] | None = None
    if not args.skip_pandas:
        warm(landing)
        say("pandas baseline")
        pandas_json = work / "pandas.json"
        pandas = measure([sys.executable, str(HERE / "pandas_baseline.py"), str(landing),
                          "--out", str(pandas_json)], work / "pandas.log")
        if pandas["exit_code"] == 0:
            inner = json.loads(pandas_json.read_text(encoding="utf-8"))
            for key in ("rows_read", "matched_by_rule", "match_status", "exceptions",
                        "exposure_by_type", "root_causes", "phases"):
                pandas[key] = inner[key]
            pandas["own_seconds"] = inner["seconds"]
        result["pandas"] = pandas
        say(f"pandas: {pandas['seconds']} s, {pandas['peak_rss_mib']} MiB, "
            f"exit {pandas['exit_code']}")

    say("incremental refresh (the extra day)")
    added = add_files(extra, landing)
    warm(landing)
    result["load_average_before_incremental"] = load_average()
    incremental = refresh(landing, warehouse, work / "refresh-incremental.log", args.engine)
    incremental["files_added"] = added
    if incremental["exit_code"] in (0, 1):
        incremental["exceptions"] = exceptions_of(warehouse)["exceptions"]
    result["incremental_refresh"] = incremental
    say(f"incremental refresh: {incremental['seconds']} s, "
        f"{incremental['peak_rss_mib']} MiB, exit {incremental['exit_code']}")

    say("fixed cost: a day added to a 5,000-transaction warehouse")
    fixed = fixed_cost(work, args.engine)
    result["fixed_cost"] = fixed
    fixed_s = (fixed.get("incremental_refresh") or {}).get("seconds")
    say(f"fixed cost: {fixed_s} s")

    # Exceptions, side by side.
    if found is not None:
        result["exceptions_first_days"] = (
            compare(found, pandas) if pandas and "exceptions" in pandas
            else {"posaudit": found["exceptions"]})

    # Ratios and targets.
    refresh_s = full["seconds"]
    steps = full.get("steps") or {}
    build_s = (round(steps["ingest"] + steps["dbt_build"], 2)
               if "ingest" in steps and "dbt_build" in steps else None)
    ok_full = full["exit_code"] in (0, 1)
    ratios: dict[str, Any] = {
        "refresh_vs_floor": round(refresh_s / floor_s, 2) if floor_s else None,
        "ingest_plus_models_seconds": build_s,
    }
    incremental_ok = incremental["exit_code"] in (0, 1)
    targets = {
        "full_refresh_vs_floor": target(
            f"<= {TARGET_VS_FLOOR:g}x the floor (full refresh seconds / floor seconds)",
            ratios["refresh_vs_floor"],
            None if floor_s is None else ok_full
            and ratios["refresh_vs_floor"] <= TARGET_VS_FLOOR),
        "incremental_refresh_seconds": target(
            f"<= {TARGET_INCREMENTAL_S:g} s", incremental["seconds"],
            incremental_ok and incremental["seconds"] <= TARGET_INCREMENTAL_S,
            floor(f"a refresh adding a day to a {FIXED_COST_TRANSACTIONS:,}-transaction "
                  "warehouse", fixed_s, TARGET_INCREMENTAL_S)),
        "fixed_cost_seconds": target(
            f"<= {TARGET_FIXED_S:g} s (a day added to a "
            f"{FIXED_COST_TRANSACTIONS:,}-transaction warehouse)", fixed_s,
            None if fixed_s is None else fixed_s <= TARGET_FIXED_S),
        "full_refresh_peak_rss_mib": target(
            f"<= 6 GB ({TARGET_PEAK_MIB:.0f} MiB)", full["peak_rss_mib"],
            ok_full and full["peak_rss_mib"] <= TARGET_PEAK_MIB),
    }
    if pandas and pandas["exit_code"] == 0:
        ratios["pandas_vs_refresh"] = round(pandas["seconds"] / refresh_s, 2)
        ratios["pandas_vs_ingest_plus_models"] = (
            round(pandas["seconds"] / build_s, 2) if build_s else None)
        ratios["peak_vs_pandas"] = round(full["peak_rss_mib"] / pandas["peak_rss_mib"], 3)
        targets["full_refresh_vs_pandas"] = target(
            f">= {TARGET_VS_PANDAS:g}x (pandas seconds / full refresh seconds)",
            ratios["pandas_vs_refresh"],
            ok_full and ratios["pandas_vs_refresh"] >= TARGET_VS_PANDAS,
            floor("the floor", floor_s, pandas["seconds"] / TARGET_VS_PANDAS))
        targets["ingest_plus_models_vs_pandas"] = target(
            f">= {TARGET_BUILD_VS_PANDAS:g}x (pandas seconds / (ingest + dbt build) seconds)",
            ratios["pandas_vs_ingest_plus_models"],
            None if build_s is None else ok_full
            and ratios["pandas_vs_ingest_plus_models"] >= TARGET_BUILD_VS_PANDAS,
            floor("the floor", floor_s, pandas["seconds"] / TARGET_BUILD_VS_PANDAS))
        targets["peak_memory_vs_pandas"] = target(
            "<= 1/3 (full refresh peak / pandas peak)", ratios["peak_vs_pandas"],
            ok_full and ratios["peak_vs_pandas"] <= TARGET_MEMORY_SHARE)
    # Both cores: the refresh steps that kept under one core and a half busy, with their
    # seconds (a step of a few seconds is mostly process and dbt start).
    result["steps_under_one_and_a_half_cores"] = {
        step: {"cpu_use": use, "seconds": steps.get(step)}
        for step, use in (full.get("cpu_use_per_step") or {}).items()
        if use < 1.5 and (steps.get(step) or 0) >= 1}
    result["ratios"] = ratios
    journal = full.get("journal_rows_loaded", 0)
    result["at_target_scale"] = journal >= 0.95 * TARGET_SCALE
    if not result["at_target_scale"]:
        result["note"] = (f"{journal:,} journal lines: the targets are set for "
                          f"{TARGET_SCALE:,}; pass/fail here is indicative only")
    result["targets"] = targets



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=int, default=10_000_000,
                        help="journal lines in the first D days (approximately)")
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--terminals", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--landing", type=Path,
                        help="a generated zone of D + 1 days to use instead of generating one "
                             "(copied, never changed)")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--full-only", action="store_true",
                        help="a point of the scale curve: the full refresh alone (no floor, "
                             "pandas, day added or fixed cost)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--out", type=Path, help="result file (default "
                        "benchmarks/results/refresh-<date>.json)")
    parser.add_argument("--work", type=Path, help="folder for the work folder (default: the "
                        "system temp folder)")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                        help="the engine posaudit refresh builds on (docs/scale-out.md)")
    args = parser.parse_args()

    today = date.today()
    out = args.out or HERE / "results" / f"refresh-{today.isoformat()}.json"
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="posaudit-refresh-", dir=args.work))
    landing, extra, warehouse = work / "landing", work / "extra", work / "W"
    result: dict[str, Any] = {
        "date": today.isoformat(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "engine": args.engine,
        "machine": machine(),
        "versions": versions(),
        "load_average_at_start": load_average(),
    }
    say(f"work folder {work}")
    try:
        zone: dict[str, Any] = {}
        if args.landing:
            say(f"copying {args.landing}")
            copy_tree(args.landing, landing)
            zone["source"] = str(args.landing)
        else:
            total = round(args.transactions * (args.days + 1) / args.days)
            say(f"generating {total:,} transactions over {args.days + 1} days to yesterday")
            gen = generate(landing, days=args.days + 1, terminals=args.terminals,
                           transactions=total, seed=args.seed, log=work / "generate.log")
            if gen["exit_code"] != 0:
                raise SystemExit(f"generate failed: see {gen['log']}")
            zone.update({"generated_transactions": total, "days_generated": args.days + 1,
                         "terminals": args.terminals, "seed": args.seed,
                         "generate_seconds": gen["seconds"]})
        zone["split"] = split(landing, extra)
        zone["first_days"] = folder_size(landing)
        zone["extra_day"] = folder_size(extra)
        result["landing"] = zone
        # The warehouse, its snapshots and DuckDB's spill files take about six times the
        # landing zone; a full disk fails a refresh halfway, which would read as a defect.
        free = shutil.disk_usage(work).free
        needed = DISK_PER_LANDING_BYTE * zone["first_days"]["bytes"]
        result["disk_free_gib_after_split"] = round(free / 2**30, 1)
        if free < needed:
            say(f"warning: {free / 2**30:.1f} GiB free in {work}; a run this size needs about "
                f"{needed / 2**30:.0f} GiB")
        say(f"split: {json.dumps(zone['split']['files_moved_to_extra_day'])}, "
            f"bank {zone['split']['bank_statements']}")

        warm(landing)
        say("full refresh")
        result["load_average_before_full"] = load_average()
        full = refresh(landing, warehouse, work / "refresh-full.log", args.engine)
        result["full_refresh"] = full
        say(f"full refresh: {full['seconds']} s, {full['peak_rss_mib']} MiB, "
            f"exit {full['exit_code']}")
        found = exceptions_of(warehouse) if full["exit_code"] in (0, 1) else None

        if args.full_only:
            scale_point(result, full)
        else:
            compare_side_by_side(args, result, work, landing, extra, warehouse, full, found)
        result["load_average_at_end"] = load_average()
    finally:
        if args.keep:
            result["work_folder"] = str(work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    say(f"saved {out}")


if __name__ == "__main__":
    main()
