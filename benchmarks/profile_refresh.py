"""Where a refresh spends its time: per step, per dbt node, per Python function.

    python benchmarks/profile_refresh.py LANDING [--work DIR] [--rate 40] [--out FILE]

Runs one full ``posaudit refresh`` of LANDING into a new warehouse under ``--work`` with
py-spy sampling every thread of the process (``py-spy record --format raw``; py-spy is in the
``dev`` extra). Sampling slows the run by about a quarter, so its seconds are for comparing
parts with each other, not with ``refresh.py``'s figures. The JSON holds:

- ``steps``: the refresh's own step timings (the run record);
- ``dbt``: node count, the summed seconds of models and of data tests, the slowest of each;
- ``python``: for each step, the functions that hold the most samples, inclusive (a function
  and all it calls) and by thread: a sample is one thread seen busy for 1/rate seconds, so two
  busy threads give two samples per tick. Time inside native code (polars, DuckDB) counts for
  the Python function that called it.

The raw samples are kept beside the JSON (``.samples.txt.gz``), for a flame graph.
``--summarise SAMPLES WAREHOUSE`` summarises an earlier recording instead of running one.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The function whose frames mark each step of a refresh (posaudit.pipeline.refresh).
STEP_FRAMES = {
    "ingest": "_ingest",
    "dbt_build": "_build",
    "checks": "_check",
    "publish": "_publish",
}
TOP = 25


def frame_name(frame: str) -> str:
    """``func (path/module.py:line)`` -> ``func (module.py)``: lines of one function merge."""
    match = re.match(r"(.*?) \((?:.*/)?([^/]+?):\d+\)$", frame)
    return f"{match.group(1)} ({match.group(2)})" if match else frame


def summarise(samples: Path, rate: int) -> dict[str, Any]:
    """Inclusive seconds per function, overall and within each step's frames."""
    overall: Counter[str] = Counter()
    per_step: dict[str, Counter[str]] = {step: Counter() for step in STEP_FRAMES}
    step_samples: Counter[str] = Counter()
    total = 0
    opener = gzip.open if samples.suffix == ".gz" else open
    with opener(samples, "rt", encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        names = [frame_name(f) for f in stack.split(";")[1:]]  # [0] is the process
        unique = list(dict.fromkeys(names))
        overall.update({name: n for name in unique})
        for step, marker in STEP_FRAMES.items():
            if any(name.startswith(marker + " (refresh.py)") for name in unique):
                step_samples[step] += n
                per_step[step].update({name: n for name in unique})
    def seconds(counter: Counter[str]) -> list[dict[str, Any]]:
        return [{"function": name, "thread_seconds": round(n / rate, 1)}
                for name, n in counter.most_common(TOP)]

    return {
        "rate_per_second": rate,
        "thread_seconds_sampled": round(total / rate, 1),
        "overall": seconds(overall),
        # Worker threads (ingest's parsing, dbt's node runners) start outside the steps'
        # frames: their samples are counted by their entry function instead.
        "by_step_main_thread": {
            step: {"thread_seconds": round(step_samples[step] / rate, 1),
                   "functions": seconds(per_step[step])}
            for step in STEP_FRAMES
        },
        "worker_threads": {
            "ingest parsing (_prepare)": round(overall["_prepare (landing.py)"] / rate, 1),
            "dbt node runners (call_runner)": round(
                overall["GraphRunnableTask.call_runner (runnable.py)"] / rate, 1),
        },
    }


def dbt_nodes(target: Path) -> dict[str, Any]:
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    nodes = results["results"]

    def kind(prefix: str) -> list[dict[str, Any]]:
        return [n for n in nodes if n["unique_id"].startswith(prefix)]

    def slowest(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"node": n["unique_id"].split(".", 2)[2], "seconds": round(n["execution_time"], 2)}
                for n in sorted(found, key=lambda n: -n["execution_time"])[:TOP]]

    models, tests = kind("model."), kind("test.")
    return {
        "elapsed_seconds": round(results["elapsed_time"], 1),
        "nodes": len(nodes),
        "models": len(models),
        "model_seconds_summed": round(sum(n["execution_time"] for n in models), 1),
        "data_tests": len(tests),
        "data_test_seconds_summed": round(sum(n["execution_time"] for n in tests), 1),
        "slowest_models": slowest(models),
        "slowest_data_tests": slowest(tests),
    }


def record(samples: Path, warehouse: Path, landing: str, wall: float | None,
           rate: int) -> dict[str, Any]:
    runs = (warehouse / "runs").glob("*.json")
    run = json.loads(max(runs, key=lambda p: p.stat().st_mtime).read_text(encoding="utf-8"))
    return {
        "date": date.today().isoformat(),
        "landing": landing or run.get("landing"),
        "transactions": (run.get("facts") or {}).get("fct_transactions"),
        "git_commit": (run.get("versions") or {}).get("git_commit"),
        "wall_seconds_sampled": None if wall is None else round(wall, 1),
        "steps": run.get("timings"),
        "dbt": dbt_nodes(warehouse / "dbt" / "target"),
        "python": summarise(samples, rate),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path, nargs="?")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--rate", type=int, default=40, help="samples per second per thread")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--summarise", nargs=2, type=Path, metavar=("SAMPLES", "WAREHOUSE"))
    args = parser.parse_args()
    if args.summarise:
        samples, warehouse = args.summarise
        result = record(samples, warehouse, "", None, args.rate)
    else:
        if args.landing is None:
            parser.error("LANDING is required unless --summarise is given")
        samples, warehouse, wall = run(args.landing, args.work, args.rate)
        result = record(samples, warehouse, str(args.landing), wall, args.rate)
    text = json.dumps(result, indent=1, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
        with open(samples, "rb") as src, gzip.open(
                args.out.with_suffix(".samples.txt.gz"), "wb") as dst:
            shutil.copyfileobj(src, dst)


def run(landing: Path, work_dir: Path | None, rate: int) -> tuple[Path, Path, float]:
    """One full refresh of ``landing`` under py-spy: the samples, the warehouse, wall seconds."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        raise SystemExit("py-spy is not installed: pip install -e '.[dev]'")
    work = Path(tempfile.mkdtemp(prefix="posaudit-profile-", dir=work_dir))
    warehouse, samples = work / "warehouse", work / "samples.txt"
    posaudit = Path(sys.executable).parent / "posaudit"
    started = time.perf_counter()
    done = subprocess.run(
        [spy, "record", "--format", "raw", "--rate", str(rate), "--nonblocking",
         "--output", str(samples), "--", str(posaudit), "refresh", "--landing",
         str(landing), "--warehouse", str(warehouse)],
        capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"the refresh failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return samples, warehouse, wall


if __name__ == "__main__":
    main()
