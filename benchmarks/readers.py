"""Readers while the warehouse is refreshed: how many reads fail (the answer must be zero).

    python benchmarks/readers.py [--refreshes 20] [--days 21] [--seed 5] [--interval 0.1]
                                 [--keep 2] [--out FILE]

Generates a small landing zone of ``--days`` days and refreshes its first day. Then runs
``--refreshes`` refreshes one after another, each after the next day's files joined the
landing zone (so each one loads, builds and publishes something new; ``--keep`` is small so
that snapshots are pruned under the readers too). Meanwhile, until the last refresh ends:

- a loop runs ``posaudit sql --warehouse W "select count(*) from fct_exceptions"``, waiting
  ``--interval`` seconds between runs, and counts runs that fail or print no count (each run
  starts a Python process, so on two busy cores it reads every few seconds, not every 100 ms);
- a thread runs the same query through the library (``posaudit.sql.query``: read CURRENT, open
  the snapshot read-only, query, close) every ``--interval`` seconds;
- a Streamlit session (``streamlit.testing`` AppTest on dashboards/app.py, in its own process)
  reruns the app every 100 ms, switching to the next page every fifth rerun, and counts reruns
  that raise (a page that already fails before the first refresh is reported apart).

Prints JSON: refreshes and their exit codes, reads, failures, and the snapshots readers saw.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
POSAUDIT = Path(sys.executable).parent / "posaudit"
APP = ROOT / "dashboards" / "app.py"
QUERY = "select count(*) from fct_exceptions"
SNAPSHOT_ID = re.compile(r"\d{8}T\d{6}-[0-9a-f]{4}")


def sql_loop(warehouse: Path, interval: float, stop: threading.Event,
             out: dict[str, Any]) -> None:
    env = {**os.environ, "POSAUDIT_PROGRESS": "plain"}
    answers: set[str] = set()
    while not stop.is_set():
        done = subprocess.run([str(POSAUDIT), "sql", "--warehouse", str(warehouse), "--csv",
                               QUERY], capture_output=True, text=True, cwd=ROOT, env=env)
        lines = done.stdout.strip().splitlines()
        out["reads"] += 1
        if done.returncode != 0 or len(lines) != 2 or not lines[1].isdigit():
            out["failures"] += 1
            out["errors"].append(done.stderr.strip()[-500:])
        else:
            answers.add(lines[1])
        stop.wait(interval)
    out["distinct_answers"] = len(answers)


def query_loop(warehouse: Path, interval: float, stop: threading.Event,
               out: dict[str, Any]) -> None:
    """The same query through the library, in this process: no process start-up in between,
    so it reads far more often, across every publish and prune."""
    from posaudit.pipeline.warehouse import Warehouse
    from posaudit.sql import query

    wh = Warehouse.at(warehouse)
    while not stop.is_set():
        out["reads"] += 1
        try:
            query(wh, QUERY).item()
        except Exception as exc:  # any failure is what this counts
            out["failures"] += 1
            out["errors"].append(f"{type(exc).__name__}: {exc}"[:500])
        stop.wait(interval)


def app_loop(warehouse: Path, stop_file: Path, result_file: Path) -> None:
    """Runs in its own process: AppTest keeps Streamlit's caches for the whole session."""
    from streamlit.testing.v1 import AppTest

    os.environ["POSAUDIT_WAREHOUSE"] = str(warehouse)
    app = AppTest.from_file(str(APP), default_timeout=120)
    # A page that fails before any refresh runs has a bug of its own: reported, not looped.
    broken: dict[str, str] = {}
    for page in sorted(f"views/{p.name}" for p in (APP.parent / "views").glob("*.py")):
        error = _rerun(app, page)
        if error:
            broken[page] = error
    pages = sorted(f"views/{p.name}" for p in (APP.parent / "views").glob("*.py")
                   if f"views/{p.name}" not in broken)
    runs = failures = 0
    errors: list[str] = []
    seen: set[str] = set()
    while not stop_file.exists() and pages:
        # The page it is on, and every fifth rerun the next page in turn.
        error = _rerun(app, None if runs % 5 else pages[runs // 5 % len(pages)])
        if error:
            failures += 1
            errors.append(error)
        seen.update(m for c in app.caption for m in SNAPSHOT_ID.findall(str(c.value)))
        runs += 1
        time.sleep(0.1)
    result_file.write_text(json.dumps({
        "reruns": runs, "failures": failures, "pages": pages, "errors": errors[:20],
        "snapshots_seen": len(seen), "pages_failing_before_any_refresh": broken}))


def _rerun(app: Any, page: str | None) -> str | None:
    """Rerun (switching to ``page`` first); the error it raised, if any."""
    try:
        (app.switch_page(page) if page else app).run()
    except Exception as exc:  # a rerun that blew up outside the script counts too
        return f"{page}: {type(exc).__name__}: {exc}"[:500]
    if app.exception:
        return f"{page}: {app.exception[0].value}"[:500]
    return None


def refresh(landing: Path, warehouse: Path, keep: int) -> dict[str, Any]:
    t = time.monotonic()
    done = subprocess.run([str(POSAUDIT), "refresh", "--landing", str(landing), "--warehouse",
                           str(warehouse), "--keep", str(keep)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "POSAUDIT_PROGRESS": "plain"})
    return {"exit": done.returncode, "seconds": round(time.monotonic() - t, 1),
            "tail": done.stdout.strip().splitlines()[-1:] + done.stderr.strip().splitlines()[-3:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--refreshes", type=int, default=20)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--keep", type=int, default=2)
    parser.add_argument("--work", type=Path, help="keep the warehouses here (default: a temp dir)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--app-loop", nargs=3, metavar=("WAREHOUSE", "STOP", "RESULT"),
                        type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app_loop:
        app_loop(*args.app_loop)
        return

    sys.path.insert(0, str(ROOT))
    from posaudit.tools.generator import GenerateConfig, generate
    from tests.test_crash_safety import day_of, stage

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="readers-", dir=args.work) as tmp:
        work = Path(tmp)
        source, landing, warehouse = work / "source", work / "landing", work / "wh"
        generate(GenerateConfig(out=source, seed=args.seed, days=args.days, terminals=12,
                                transactions=max(6000, 600 * args.days)))
        days = sorted({day_of(p.name) for p in source.rglob("*") if p.is_file()} - {""})
        stage(source, landing, until=days[0])
        first = refresh(landing, warehouse, args.keep)
        assert first["exit"] in (0, 1), first

        stop = threading.Event()
        sql: dict[str, Any] = {"reads": 0, "failures": 0, "errors": []}
        reader = threading.Thread(target=sql_loop, args=(warehouse, args.interval, stop, sql))
        library: dict[str, Any] = {"reads": 0, "failures": 0, "errors": []}
        querier = threading.Thread(target=query_loop,
                                   args=(warehouse, args.interval, stop, library))
        stop_file, app_file = work / "stop", work / "app.json"
        app = subprocess.Popen([sys.executable, __file__, "--app-loop", str(warehouse),
                                str(stop_file), str(app_file)], cwd=ROOT)
        reader.start()
        querier.start()
        refreshes = []
        for i in range(args.refreshes):
            stage(source, landing, until=days[min(i + 1, len(days) - 1)])
            refreshes.append(refresh(landing, warehouse, args.keep))
            print(json.dumps({"refresh": i + 1, **refreshes[-1]}), file=sys.stderr, flush=True)
        stop.set()
        stop_file.touch()
        reader.join()
        querier.join()
        app.wait(timeout=600)
        streamlit = json.loads(app_file.read_text()) if app_file.exists() else {
            "failures": None, "errors": [f"the app loop exited {app.returncode}"]}
        snapshots = sorted(p.stem for p in (warehouse / "snapshots").glob("*.duckdb"))
    published = sum(r["exit"] in (0, 1) for r in refreshes)
    result = {
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "landing": {"days": args.days, "seed": args.seed},
        "refreshes": len(refreshes),
        "published": published,
        "exit_codes": [r["exit"] for r in refreshes],
        "refresh_seconds_median": sorted(r["seconds"] for r in refreshes)[len(refreshes) // 2],
        "keep": args.keep,
        "snapshots_left": len(snapshots),
        "sql": {"interval_seconds": args.interval, "reads": sql["reads"],
                "failures": sql["failures"], "distinct_answers": sql.get("distinct_answers"),
                "errors": sql["errors"][:20]},
        "library_query": {"interval_seconds": args.interval, "reads": library["reads"],
                          "failures": library["failures"], "errors": library["errors"][:20]},
        "streamlit": streamlit,
        "reader_errors": (sql["failures"] + library["failures"]
                          + (streamlit.get("failures") or 0)),
        "seconds": round(time.monotonic() - started, 1),
    }
    if published != len(refreshes):
        result["refresh_tails"] = [r["tail"] for r in refreshes if r["exit"] not in (0, 1)]
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
