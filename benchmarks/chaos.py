"""Chaos: refreshes killed with SIGKILL at random moments, and what readers see after each.

    python benchmarks/chaos.py [--kills 20] [--days 21] [--seed 3] [--out FILE]

Generates a small landing zone of ``--days`` days and keeps it aside. A reference warehouse is
refreshed once, uninterrupted, from all of it. The chaos warehouse starts with the first day's
files and one uninterrupted refresh. Then, until ``--kills`` refreshes have been killed: the
next day's files join the landing zone, ``posaudit refresh`` starts, and is SIGKILLed at a
moment drawn uniformly from 0 to the length of a whole refresh (the reference's, then the last
one that ran to its end; a refresh that ends before its moment is counted apart). The step it
was in is read from the lock file. After each, the published snapshot must open read-only and
be consistent (tests/test_crash_safety.py: its last run is PUBLISHED, raw rows equal the
manifest's loaded rows, the reconciliation mart ties), ``posaudit sql`` must answer, CURRENT
and current.duckdb must agree, and every run record and publications-log line must parse.
Finally one refresh runs to completion and its marts are compared with the reference. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the consistency checks are the crash test's own

import duckdb  # noqa: E402

from posaudit.pipeline.warehouse import Warehouse  # noqa: E402
from tests.test_crash_safety import check_snapshot, day_of, marts, stage  # noqa: E402

POSAUDIT = Path(sys.executable).parent / "posaudit"
ENV = {**os.environ, "POSAUDIT_PROGRESS": "plain"}


def _transactions(days: int) -> int:
    """The test suite's density (600 a day), and the generator's floor."""
    return max(6000, 600 * days)


def refresh(landing: Path, warehouse: Path) -> tuple[int, float, str]:
    t = time.monotonic()
    done = subprocess.run([str(POSAUDIT), "refresh", "--landing", str(landing),
                           "--warehouse", str(warehouse)], capture_output=True, text=True,
                          env=ENV, cwd=ROOT)
    return done.returncode, time.monotonic() - t, done.stdout + done.stderr


def killed_refresh(landing: Path, warehouse: Path, after: float) -> dict[str, Any]:
    """Start a refresh, SIGKILL it ``after`` seconds later; what it was doing then (its step;
    None when the lock file did not name it)."""
    proc = subprocess.Popen([str(POSAUDIT), "refresh", "--landing", str(landing),
                             "--warehouse", str(warehouse)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=ENV, cwd=ROOT)
    lock = warehouse / "refresh.lock"
    deadline = time.monotonic() + after
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    step = None
    if proc.poll() is None:
        try:
            holder = json.loads(lock.read_text()) or {}
        except (OSError, ValueError):
            holder = {}
        # Not named in the lock file: not holding it yet, or already released (main() tells
        # which from whether it published).
        step = (holder.get("step") or "prepare") if holder.get("pid") == proc.pid else None
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return {"after_seconds": round(after, 2), "step": step, "exit": proc.returncode}


def inspect(warehouse: Path) -> list[str]:
    """What a reader would trip over; empty when all is well."""
    wh = Warehouse.at(warehouse)
    problems: list[str] = []
    current = wh.current_id()
    if current is None:
        return ["no published snapshot"]
    try:
        last = check_snapshot(wh.current_snapshot())
        if last != current:
            problems.append(f"snapshot {current} says its last run is {last}")
    except Exception as exc:  # an AssertionError or a DuckDB error: either is a finding
        problems.append(f"snapshot {current}: {type(exc).__name__}: {exc}")
    if os.readlink(wh.current_link) != f"snapshots/{current}.duckdb":
        problems.append(f"current.duckdb -> {os.readlink(wh.current_link)}, CURRENT {current}")
    sql = subprocess.run([str(POSAUDIT), "sql", "--warehouse", str(warehouse), "--csv",
                          "select count(*) as n from fct_exceptions"],
                         capture_output=True, text=True, env=ENV, cwd=ROOT)
    if sql.returncode != 0:
        problems.append(f"posaudit sql exited {sql.returncode}: {sql.stderr.strip()[-300:]}")
    for record in wh.runs_dir.glob("*.json"):
        try:
            json.loads(record.read_text(encoding="utf-8"))
        except ValueError:
            problems.append(f"{record.name} does not parse")
    lines = wh.publications_log.read_text(encoding="utf-8").splitlines()
    problems += [f"publications.log line {i} does not parse"
                 for i, line in enumerate(lines, 1) if not _parses(line)]
    return problems


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--work", type=Path, help="keep the warehouses here (default: a temp dir)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chaos-", dir=args.work) as tmp:
        work = Path(tmp)
        from posaudit.tools.generator import GenerateConfig, generate

        source = work / "source"
        generate(GenerateConfig(out=source, seed=args.seed, days=args.days, terminals=12,
                                transactions=_transactions(args.days)))
        days = sorted({day_of(p.name) for p in source.rglob("*") if p.is_file()} - {""})

        reference = work / "reference"
        code, ref_seconds, out = refresh(source, reference)
        assert code in (0, 1), out[-3000:]

        landing, warehouse = work / "landing", work / "wh"
        stage(source, landing, until=days[0])
        code, seconds, out = refresh(landing, warehouse)
        assert code in (0, 1), out[-3000:]

        # Kill moments are drawn over a whole refresh: the last one that ran to its end says how
        # long that is. One that ends before its moment counts as a completed run, not a kill.
        span = max(seconds, ref_seconds)
        kills: list[dict[str, Any]] = []
        completed: list[dict[str, Any]] = []
        day = 1
        while len(kills) < args.kills and len(completed) < 2 * args.kills:
            stage(source, landing, until=days[min(day, len(days) - 1)])
            day += 1
            before = Warehouse.at(warehouse).current_id()
            t = time.monotonic()
            kill = killed_refresh(landing, warehouse, rng.uniform(0, span))
            kill["problems"] = inspect(warehouse)
            kill["published"] = Warehouse.at(warehouse).current_id() != before
            if kill["exit"] != -signal.SIGKILL:
                span = time.monotonic() - t
                completed.append(kill)
                continue
            if kill["step"] is None:
                kill["step"] = "exiting" if kill["published"] else "starting"
            kills.append(kill)
            print(json.dumps({"kill": len(kills), **kill}), file=sys.stderr, flush=True)

        stage(source, landing, until=days[-1])
        code, final_seconds, out = refresh(landing, warehouse)
        final_ok = code in (0, 1)
        wh = Warehouse.at(warehouse)
        final_problems = inspect(warehouse) if final_ok else [out[-2000:]]
        got = marts(wh.current_snapshot())
        want = marts(Warehouse.at(reference).current_snapshot())
        differing = sorted(name for name in want if got.get(name) != want[name])
        outcomes = dict(run_outcomes(warehouse))
    result = {
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "landing": {"days": args.days, "seed": args.seed, "terminals": 12,
                    "transactions": _transactions(args.days)},
        "kills": len(kills),
        "completed_before_their_kill_moment": len(completed),
        "completed_with_problems": sum(bool(c["problems"]) for c in completed),
        "killed_in_step": dict(Counter(k["step"] for k in kills)),
        "published_before_the_kill": sum(k["published"] for k in kills),
        "kills_with_problems": sum(bool(k["problems"]) for k in kills),
        "problems": [p for k in kills for p in k["problems"]],
        "uninterrupted_refresh_seconds": round(seconds, 1),
        "reference_refresh_seconds": round(ref_seconds, 1),
        "final_refresh": {"exit": code, "seconds": round(final_seconds, 1),
                          "problems": final_problems},
        "final_marts_equal_reference": not differing,
        "differing_marts": differing,
        "refresh_runs_outcomes": outcomes,
        "detail": kills,
        "seconds": round(time.monotonic() - started, 1),
    }
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


def run_outcomes(warehouse: Path) -> list[tuple[str, int]]:
    """refresh_runs of the final snapshot: how many runs ended how."""
    snap = Warehouse.at(warehouse).current_snapshot()
    with duckdb.connect(str(snap), read_only=True) as con:
        return con.execute("select outcome, count(*) from fct_refresh_runs group by all "
                           "order by all").fetchall()


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
