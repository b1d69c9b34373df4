"""Row-for-row differences between the relations of two DuckDB databases."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.helpers.rows import scalar

# Columns that say when or in which run a row was made, not what it says.
VOLATILE = frozenset({"detected_at", "settlement_covered_through", "loaded_at", "first_seen_at",
                      "run_id", "mtime_ns"})
# The views of the runs themselves (their tables are compared without the VOLATILE columns).
RUN_TABLES = frozenset({"refresh_runs", "dq_check_results", "alerts", "file_manifest"})


def relations(con: duckdb.DuckDBPyConnection, catalog: str, *, tables_only: bool
              ) -> list[tuple[str, str]]:
    kind = "and table_type = 'BASE TABLE'" if tables_only else ""
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_catalog = ? and table_schema in ('main', 'intermediate') {kind} "
        "order by 1, 2", [catalog]).fetchall()


def differences(a: Path, b: Path, skip: frozenset[str] = frozenset(), *,
                tables_only: bool = True) -> dict[str, tuple[int, int, int]]:
    """Per table (or, ``tables_only=False``, view too) of the main and intermediate schemas,
    present in both with the same names: (rows in a, rows only in a, rows only in b) when the
    two differ, the run tables, ``skip`` and the VOLATILE columns left out."""
    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")
    diffs: dict[str, tuple[int, int, int]] = {}
    names = relations(con, "a", tables_only=tables_only)
    assert names == relations(con, "b", tables_only=tables_only)
    for schema, name in names:
        if name in RUN_TABLES or name in skip:
            continue
        cols = [c for (c,) in con.execute(
            "select column_name from information_schema.columns where table_catalog = 'a' "
            "and table_schema = ? and table_name = ? order by ordinal_position",
            [schema, name]).fetchall() if c not in VOLATILE]
        sel = ", ".join(f'"{c}"' for c in cols)
        only_a, only_b = (scalar(
            con,
            f"select count(*) from (select {sel} from {x}.{schema}.{name} "
            f"except all select {sel} from {y}.{schema}.{name})")
            for x, y in (("a", "b"), ("b", "a")))
        rows = scalar(con, f"select count(*) from a.{schema}.{name}")
        if only_a or only_b:
            diffs[f"{schema}.{name}"] = (rows, only_a, only_b)
    con.close()
    return diffs
