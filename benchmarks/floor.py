"""The floor: the fastest of DuckDB and polars reading every landing file into memory.

    python benchmarks/floor.py LANDING [--reader duckdb|polars|both]

What no refresh can go below, since a refresh has to read the same files. Both readers get
the text decoded properly, as ingest decodes it: a file that is not UTF-8 is GBK (the
journals and statements of Chinese acquirers and banks) and is decoded as GBK, and each
zipped bill is opened and its CSV read. Both read leniently (every cell as text, ragged and
malformed lines skipped or padded), so neither pays for checks that ingest makes:

- ``polars``: each file by ``pl.read_csv`` (``pl.read_ndjson`` for the terminal events), the
  files spread over a thread per core; GBK text is decoded by Python first.
- ``duckdb``: the files of one layout in one ``read_csv``/``read_json`` call, which DuckDB
  parallelises itself. DuckDB has no GBK decoder without a downloadable extension, so the
  GBK files and the zip members are first written out as UTF-8 files, and that time counts.

Prints one JSON object: per reader its seconds (the reading alone, after imports), rows and
seconds per layout; and ``floor_seconds``, the faster of the two. ``refresh.py`` runs each
reader in its own process.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import tempfile
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from posaudit.ingest.landing import detect, landing_files
from posaudit.ingest.source import SourceFile

JSON_LAYOUTS = {"terminal_events"}


def texts(path: Path) -> Iterator[tuple[str, bytes, bool]]:
    """(name, UTF-8 bytes, whether they were transcoded) of a file, or of each member of a
    zip."""
    data = path.read_bytes()
    members: list[tuple[str, bytes]] = [(path.name, data)]
    if path.suffix == ".zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [(m, zf.read(m)) for m in zf.namelist() if not m.endswith("/")]
    for name, raw in members:
        try:
            raw.decode("utf-8")
            yield name, raw, path.suffix == ".zip"
        except UnicodeDecodeError:
            yield name, raw.decode("gbk", errors="replace").encode("utf-8"), True


def layout_of(name: str, folder: str, data: bytes) -> str:
    layout = detect(SourceFile(name=name, folder=folder, data=data[:65536]))
    return layout.name if layout else "unknown"


def _polars_file(job: tuple[Path, str, str]) -> tuple[str, int, float]:
    path, _name, folder = job
    started = time.perf_counter()
    rows = 0
    layout = "unknown"
    for member, data, _ in texts(path):
        layout = layout_of(member, folder, data)
        if layout in JSON_LAYOUTS:
            frame = pl.read_ndjson(io.BytesIO(data), ignore_errors=True)
        else:
            frame = pl.read_csv(data, infer_schema=False, truncate_ragged_lines=True,
                                ignore_errors=True, comment_prefix="#", quote_char='"')
        rows += frame.height
    return layout, rows, time.perf_counter() - started


def polars_read(landing: Path) -> dict[str, Any]:
    jobs = list(landing_files(landing))
    per_layout: dict[str, float] = defaultdict(float)
    rows = 0
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for layout, n, seconds in pool.map(_polars_file, jobs):
            rows += n
            per_layout[layout] += seconds  # thread seconds: they overlap
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "rows": rows,
            "thread_seconds_per_layout": {k: round(v, 2) for k, v in sorted(per_layout.items())}}


def duckdb_read(landing: Path) -> dict[str, Any]:
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="posaudit-floor-"))
    try:
        groups: dict[str, list[str]] = defaultdict(list)
        transcoded = 0
        for path, _name, folder in landing_files(landing):
            for member, data, rewritten in texts(path):
                layout = layout_of(member, folder, data)
                if rewritten:  # GBK or zipped: a UTF-8 copy DuckDB can read
                    copy = scratch / f"{transcoded:06d}-{Path(member).name}"
                    copy.write_bytes(data)
                    transcoded += 1
                    groups[layout].append(str(copy))
                else:
                    groups[layout].append(str(path))
        prepared = time.perf_counter() - started
        con = duckdb.connect(":memory:")
        rows = 0
        per_layout: dict[str, float] = {}
        for i, (layout, files) in enumerate(sorted(groups.items())):
            call_started = time.perf_counter()
            if layout in JSON_LAYOUTS:
                sql = f"create table t{i} as select * from read_json({files}, " \
                      "format='newline_delimited', ignore_errors=true)"
            else:
                sql = f"create table t{i} as select * from read_csv({files}, " \
                      "union_by_name=true, all_varchar=true, null_padding=true, " \
                      "ignore_errors=true, comment='#')"
            con.execute(sql)
            found = con.execute(f"select count(*) from t{i}").fetchone()
            rows += int(found[0]) if found else 0
            per_layout[layout] = round(time.perf_counter() - call_started, 2)
        con.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"seconds": round(time.perf_counter() - started, 2), "rows": rows,
            "transcoding_seconds": round(prepared, 2), "files_transcoded": transcoded,
            "seconds_per_layout": per_layout}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument("--reader", choices=("duckdb", "polars", "both"), default="both")
    args = parser.parse_args()
    result: dict[str, Any] = {}
    if args.reader in ("polars", "both"):
        result["polars"] = polars_read(args.landing)
    if args.reader in ("duckdb", "both"):
        result["duckdb"] = duckdb_read(args.landing)
    result["floor_seconds"] = min(r["seconds"] for r in result.values())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
