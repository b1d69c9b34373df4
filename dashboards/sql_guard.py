"""The analysts' SQL page, minus Streamlit: which statements may run, and running one within
limits (time, rows; memory and external access are limits of the connection itself).

A statement is refused before it runs when DuckDB's own parser says it writes, attaches,
copies, reads files or changes settings. What slips past that (a path DuckDB resolves itself)
still fails at the connection, which has external access disabled and its configuration locked,
and the failure is mapped to the same kinds of message.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pandas as pd

from posaudit.ingest.cardsafe import scrub

DEFAULT_SECONDS = 10.0
DEFAULT_ROWS = 10_000

# Statement types (duckdb.StatementType names) and the kind of refusal each gets.
REFUSED_TYPES = {
    "INSERT": "write", "UPDATE": "write", "DELETE": "write", "CREATE": "write",
    "DROP": "write", "ALTER": "write", "MERGE_INTO": "write", "CREATE_FUNC": "write",
    "VACUUM": "write", "ANALYZE": "write", "UPDATE_EXTENSIONS": "extension",
    "ATTACH": "attach", "DETACH": "attach",
    "COPY": "copy", "EXPORT": "copy", "COPY_DATABASE": "copy",
    "PRAGMA": "settings", "SET": "settings", "VARIABLE_SET": "settings", "RESET": "settings",
    "LOAD": "extension",
}
ALLOWED_TYPES = {"SELECT"}

# Functions that read files or reach other systems, by name or prefix.
FILE_FUNCTIONS = {"glob", "sniff_csv", "st_read", "read_text", "read_blob"}
FILE_PREFIXES = ("read_", "parquet_", "iceberg_", "delta_", "sqlite_", "postgres_", "mysql_",
                 "csv_", "json_scan", "http", "s3", "excel_")
FILE_SUFFIXES = ("_scan",)


@dataclass(frozen=True)
class Limits:
    seconds: float = DEFAULT_SECONDS
    rows: int = DEFAULT_ROWS


@dataclass(frozen=True)
class Refusal:
    """Why a query did not run (or was stopped): ``kind`` picks the message, ``detail`` fills
    it in."""

    kind: str
    detail: str = ""


@dataclass(frozen=True)
class Outcome:
    frame: pd.DataFrame | None
    truncated: bool = False
    seconds: float = 0.0
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def check(sql: str) -> Refusal | None:
    """None when ``sql`` is one read-only SELECT; otherwise why not."""
    if not sql.strip():
        return Refusal("empty")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        return Refusal("syntax", _first_line(exc))
    if not statements:
        return Refusal("empty")
    if len(statements) > 1:
        return Refusal("multiple", str(len(statements)))
    kind = statements[0].type.name
    if kind in REFUSED_TYPES:
        return Refusal(REFUSED_TYPES[kind], kind.replace("_", " "))
    if kind not in ALLOWED_TYPES:
        return Refusal("other", kind.replace("_", " "))
    return _check_tree(statements[0].query)


def run(cursor: duckdb.DuckDBPyConnection, sql: str, limits: Limits = Limits()) -> Outcome:
    """Check ``sql`` and run it on ``cursor``: at most ``limits.rows`` rows, stopped (with
    ``cursor.interrupt()`` from a timer thread) after ``limits.seconds``."""
    refusal = check(sql)
    if refusal is not None:
        return Outcome(None, refusal=refusal)
    body = duckdb.extract_statements(sql)[0].query.strip().rstrip(";")
    # The newline keeps a trailing -- comment from swallowing the wrapper.
    capped = f"select * from (\n{body}\n) as analyst_query limit {int(limits.rows) + 1}"
    timer = threading.Timer(limits.seconds, cursor.interrupt)
    began = time.perf_counter()
    timer.start()
    try:
        frame = cursor.execute(capped).df()
    except duckdb.InterruptException:
        return Outcome(None, seconds=time.perf_counter() - began,
                       refusal=Refusal("timeout", f"{limits.seconds:g}"))
    except duckdb.OutOfMemoryException:
        return Outcome(None, seconds=time.perf_counter() - began, refusal=Refusal("memory"))
    except duckdb.PermissionException as exc:
        return Outcome(None, refusal=Refusal("files", _first_line(exc)))
    except duckdb.Error as exc:
        message = _first_line(exc)
        kind = "settings" if "configuration has been locked" in message else "error"
        return Outcome(None, refusal=Refusal(kind, message))
    finally:
        timer.cancel()
    seconds = time.perf_counter() - began
    truncated = len(frame) > limits.rows
    return Outcome(frame.head(limits.rows), truncated=truncated, seconds=seconds)


def _check_tree(sql: str) -> Refusal | None:
    with duckdb.connect() as parser:
        tree = json.loads(parser.execute("select json_serialize_sql(?)", [sql]).fetchall()[0][0])
    if tree.get("error"):
        # Not serialisable (some SELECT-like statements are not): the connection's own
        # restrictions still apply when it runs.
        return None
    for node in _nodes(tree):
        name = node.get("function_name")
        if isinstance(name, str) and _reads_files(name.lower()):
            return Refusal("files", name)
        if node.get("type") == "BASE_TABLE":
            table = str(node.get("table_name", ""))
            if any(ch in table for ch in "/\\.~:*"):
                return Refusal("files", table)
    return None


def _reads_files(name: str) -> bool:
    return (name in FILE_FUNCTIONS or name.startswith(FILE_PREFIXES)
            or name.endswith(FILE_SUFFIXES))


def _nodes(tree: object) -> Iterator[dict[str, object]]:
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _first_line(exc: BaseException) -> str:
    return scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
