"""Are the marts of two warehouses identical, row for row?

    python benchmarks/mart_identity.py BEFORE_WAREHOUSE AFTER_WAREHOUSE

Each warehouse folder is one built by `posaudit refresh` of the same landing zone, with the
same history (one refresh each is simplest: the audit views list every run). Every table and
view of the published snapshot's main schema in BEFORE is compared with the relation of the
same name in AFTER (a renamed mart keeps a view under its old name, so the old name finds it)
by EXCEPT ALL in both directions. A table of row counts and differences is printed; the exit
status is 1 on any difference or missing relation, else 0.

Some columns say when or in which run a row was made, not what the data is: they differ
between any two refreshes and are left out of the comparison (VOLATILE, extend with
--ignore relation.column).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from posaudit.pipeline.warehouse import Warehouse

# relation -> columns that record the run or the clock, not the data. card_token is keyed by
# each warehouse's card key: build both with the same key (POSAUDIT_CARD_KEY, or copy the
# demo key file WAREHOUSE.card-key) to compare it, or --ignore fct_transactions.card_token.
VOLATILE: dict[str, frozenset[str]] = {
    "fct_exceptions": frozenset({"detected_at"}),
    # Case ids are drawn at random by each warehouse's case store.
    "fct_error_reports": frozenset({"case_id", "exception_case_id"}),
    "file_manifest": frozenset({"first_seen_at", "loaded_at", "run_id"}),
    "refresh_runs": frozenset({"run_id", "started_at", "finished_at", "snapshot_id", "timings",
                               "versions", "checks", "record"}),
    "dq_check_results": frozenset({"check_result_id", "run_id", "checked_at"}),
    "alerts": frozenset({"alert_id", "run_id", "raised_at", "message"}),
}
# The renamed marts' new names (the old names are views of them) have the same columns.
VOLATILE.update({f"fct_{name}": VOLATILE[name] for name in
                 ("file_manifest", "refresh_runs", "dq_check_results", "alerts")})


@dataclass(frozen=True)
class Comparison:
    name: str
    before_rows: int
    after_rows: int | None  # None: missing after
    only_before: int
    only_after: int
    ignored: tuple[str, ...]

    @property
    def identical(self) -> bool:
        return self.after_rows is not None and not self.only_before and not self.only_after


def relations(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, str]:
    rows = con.execute(
        "select table_name, table_type from information_schema.tables "
        "where table_catalog = ? and table_schema = 'main' order by table_name", [catalog]
    ).fetchall()
    return {name: kind for name, kind in rows}


def columns(con: duckdb.DuckDBPyConnection, catalog: str, name: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_catalog = ? "
        "and table_schema = 'main' and table_name = ? order by ordinal_position",
        [catalog, name]).fetchall()]


def compare(con: duckdb.DuckDBPyConnection, name: str, ignore: frozenset[str]) -> Comparison:
    before_cols = columns(con, "before_wh", name)
    after_cols = set(columns(con, "after_wh", name))
    before_rows = _count(con, f'before_wh.main."{name}"')
    if not after_cols:
        return Comparison(name, before_rows, None, before_rows, 0, ())
    # The columns both sides have, less the volatile ones; a column only one side has is a
    # difference in itself, so it is kept and the query fails loudly.
    cols = [c for c in before_cols if c not in ignore]
    listed = ", ".join(f'"{c}"' for c in cols)
    b, a = f'before_wh.main."{name}"', f'after_wh.main."{name}"'
    only_before = _count(con, f"(select {listed} from {b} except all select {listed} from {a})")
    only_after = _count(con, f"(select {listed} from {a} except all select {listed} from {b})")
    return Comparison(name, before_rows, _count(con, a), only_before, only_after,
                      tuple(sorted(set(before_cols) & ignore)))


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    row = con.execute(f"select count(*) from {relation}").fetchone()
    assert row is not None  # a count always returns one row
    return int(row[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="warehouse folder built before the change")
    parser.add_argument("after", type=Path, help="warehouse folder built after it")
    parser.add_argument("--ignore", action="append", default=[], metavar="RELATION.COLUMN",
                        help="also leave this column out of the comparison")
    args = parser.parse_args(argv)
    ignore = {k: set(v) for k, v in VOLATILE.items()}
    for item in args.ignore:
        relation, _, column = item.partition(".")
        ignore.setdefault(relation, set()).add(column)

    con = duckdb.connect()
    for alias, root in (("before_wh", args.before), ("after_wh", args.after)):
        snapshot = Warehouse.at(root).current_snapshot()
        con.execute(f"attach '{snapshot}' as {alias} (read_only)")
    before, after = relations(con, "before_wh"), relations(con, "after_wh")
    results = [compare(con, name, frozenset(ignore.get(name, ()))) for name in before]

    print(f"{'relation':34} {'kind':10} {'before':>10} {'after':>10} {'only before':>12} "
          f"{'only after':>11}  result")
    for r in results:
        after_rows = "missing" if r.after_rows is None else f"{r.after_rows:,}"
        verdict = "identical" if r.identical else "DIFFERENT"
        note = f" (ignoring {', '.join(r.ignored)})" if r.ignored else ""
        print(f"{r.name:34} {before[r.name]:10} {r.before_rows:>10,} {after_rows:>10} "
              f"{r.only_before:>12,} {r.only_after:>11,}  {verdict}{note}")
    new = sorted(set(after) - set(before))
    if new:
        print(f"only after (new relations, not compared): {', '.join(new)}")
    failed = [r.name for r in results if not r.identical]
    print(f"{len(results) - len(failed)} of {len(results)} relations identical"
          + (f"; different: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
