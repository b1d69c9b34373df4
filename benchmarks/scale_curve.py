"""The scale curve: full refresh time against size, from result files of refresh.py.

    python benchmarks/scale_curve.py RESULT.json [RESULT.json ...] [--out FILE]

Each result file is one run of refresh.py (a full run, or ``--full-only`` for a point of the
curve) on a zone of a different size. Prints a Markdown table and a Mermaid chart of seconds per
million journal lines (the README's plot), and writes the points as JSON (default
benchmarks/results/scale-curve-<date>.json). The curve is flat when the time per million
lines does not grow with size.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
STEPS = ("ingest", "dbt_build", "dbt_test", "checks", "publish")


def point(path: Path) -> dict[str, Any]:
    """One point: journal lines, the full refresh's seconds and steps, peak memory."""
    run = json.loads(path.read_text(encoding="utf-8"))
    full = run["full_refresh"]
    lines = int(full.get("journal_rows_loaded") or 0)
    steps = full.get("steps") or {}
    millions = lines / 1e6
    return {
        "result": path.name,
        "journal_lines": lines,
        "full_refresh_seconds": full["seconds"],
        "seconds_per_million_lines": round(full["seconds"] / millions, 2) if lines else None,
        "steps_seconds": {s: steps.get(s) for s in STEPS},
        "steps_per_million_lines": {
            s: round(steps[s] / millions, 2) for s in STEPS
            if isinstance(steps.get(s), int | float) and lines},
        "peak_rss_mib": full.get("peak_rss_mib"),
        "commit": (run.get("versions") or {}).get("git_commit"),
    }


def table(points: list[dict[str, Any]]) -> str:
    head = ("| journal lines | full refresh | s per million | ingest | models | data tests | "
            "checks | publish | peak memory |\n|---|---|---|---|---|---|---|---|---|")
    rows = []
    for p in points:
        per = p["steps_per_million_lines"]
        rows.append(
            f"| {p['journal_lines']:,} | {p['full_refresh_seconds']:.1f} s | "
            f"{p['seconds_per_million_lines']:.1f} | "
            + " | ".join(f"{per.get(s, 0):.1f}" for s in STEPS)
            + f" | {p['peak_rss_mib']:,} MiB |")
    return head + "\n" + "\n".join(rows)


def chart(points: list[dict[str, Any]]) -> str:
    labels = ", ".join(f'"{p["journal_lines"] / 1e6:.0f}M"' for p in points)
    top = max(p["seconds_per_million_lines"] for p in points)
    values = ", ".join(f"{p['seconds_per_million_lines']:.1f}" for p in points)
    return ("```mermaid\nxychart-beta\n"
            '    title "Full refresh: seconds per million journal lines"\n'
            f"    x-axis [{labels}]\n"
            f'    y-axis "seconds per million lines" 0 --> {int(top * 1.2) + 1}\n'
            f"    bar [{values}]\n```")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    points = sorted((point(p) for p in args.results), key=lambda p: p["journal_lines"])
    out = args.out or HERE / "results" / f"scale-curve-{date.today().isoformat()}.json"
    out.write_text(json.dumps({"date": date.today().isoformat(), "points": points},
                              indent=2) + "\n", encoding="utf-8")
    print(table(points))
    print()
    print(chart(points))
    print(f"\nsaved {out}")


if __name__ == "__main__":
    main()
