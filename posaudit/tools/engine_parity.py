"""Are the models Spark built the same, row for row, as the ones DuckDB built?

Each Spark table is read from its Parquet folder by DuckDB and compared with the build
database's table of the same name by ``EXCEPT ALL`` both ways, after normalising the types the
engines spell differently: every column is cast to the DuckDB table's type (so a decimal is
compared exactly at DuckDB's scale, a timestamp as UTC), a double is rounded to 9 significant
digits (the engines add in different orders), columns are matched by name (Spark puts partition
columns last).

Columns that record when a row was made (VOLATILE) are left out: two builds never agree on
them. Comparing a build that grew day by day with one made in one go, also leave out the
columns that record when a row was last decided (``--ignore settlement_covered_through``):
an incremental build keeps them as they were when the row was decided, on either engine.

``python -m posaudit.tools.engine_parity W [table ...]`` compares a warehouse built by both
engines (DuckDB's tables in its build database, Spark's in W/spark); ``--duckdb DB`` takes
DuckDB's tables from another database (a warehouse built with the DuckDB engine from the same
landing zone); ``--ignore COLUMN`` (repeatable) leaves a column out of every table. One line
per table; exit 1 when any differs.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from posaudit.pipeline.spark_engine import SparkPaths
from posaudit.pipeline.warehouse import Warehouse

# The schemas whose tables both engines build (views are compared through what they read).
COMPARED_SCHEMAS = ("main", "intermediate", "reference")
# table -> columns that say when the row was made, not what it says.
VOLATILE: dict[str, frozenset[str]] = {
    "fct_exceptions": frozenset({"detected_at"}),
}


@dataclass(frozen=True)
class TableParity:
    schema: str
    table: str
    duckdb_rows: int
    spark_rows: int
    only_duckdb: int  # rows in DuckDB's table and not in Spark's (with multiplicity)
    only_spark: int
    missing_columns: tuple[str, ...] = ()
    error: str | None = None

    @property
    def equal(self) -> bool:
        return (self.error is None and not self.missing_columns
                and self.only_duckdb == 0 and self.only_spark == 0)

    def describe(self) -> str:
        name = f"{self.schema}.{self.table}"
        if self.error:
            return f"{name}: {self.error}"
        if self.missing_columns:
            return f"{name}: Spark lacks column(s) {', '.join(self.missing_columns)}"
        state = "equal" if self.equal else (f"DIFFERENT: {self.only_duckdb} row(s) only in "
                                            f"DuckDB, {self.only_spark} only in Spark")
        return f"{name}: {state} ({self.duckdb_rows} rows in DuckDB, {self.spark_rows} in Spark)"


def _normalised(column: str, duck_type: str, side: str) -> str:
    quoted = f'{side}."{column}"'
    if duck_type in ("DOUBLE", "FLOAT", "REAL"):
        # 9 significant digits: the engines sum in different orders.
        return (f"case when {quoted} is null or {quoted} = 0 then {quoted} else "
                f"round({quoted}, 8 - cast(floor(log10(abs({quoted}))) as integer)) end")
    return f"cast({quoted} as {duck_type})"


def compare_table(con: duckdb.DuckDBPyConnection, schema: str, table: str,
                  spark_folder: Path, ignore: frozenset[str] = frozenset()) -> TableParity:
    """DuckDB's ``schema.table`` (in ``con``) against the Parquet files of Spark's, the
    columns in ``ignore`` left out."""
    files = f"{spark_folder}/**/*.parquet"
    try:
        spark_cols = {r[0] for r in con.execute(
            f"describe select * from read_parquet('{files}', hive_partitioning = true)").fetchall()}
    except duckdb.Error as exc:
        return TableParity(schema, table, 0, 0, 0, 0, error=f"Spark table unreadable: {exc}")
    volatile = VOLATILE.get(table, frozenset()) | ignore
    duck = [(c, t) for c, t in con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table]).fetchall() if c not in volatile]
    missing = tuple(c for c, _ in duck if c not in spark_cols)
    if missing:
        return TableParity(schema, table, 0, 0, 0, 0, missing_columns=missing)
    left = ", ".join(_normalised(c, t, "d") for c, t in duck)
    right = ", ".join(_normalised(c, t, "s") for c, t in duck)
    con.execute(f"create or replace temp view d as select * from {schema}.{table}")
    con.execute(f"create or replace temp view s as select * from "
                f"read_parquet('{files}', hive_partitioning = true)")
    counts = con.execute(f"""
        select
            (select count(*) from d), (select count(*) from s),
            (select count(*) from (select {left} from d except all select {right} from s)),
            (select count(*) from (select {right} from s except all select {left} from d))
    """).fetchone()
    assert counts is not None
    return TableParity(schema, table, *counts)


def compare(duckdb_db: Path, spark: SparkPaths, tables: list[str] | None = None,
            ignore: frozenset[str] = frozenset()) -> list[TableParity]:
    """Every base table of the compared schemas in ``duckdb_db`` (or ``tables``,
    schema.table) against Spark's, the columns in ``ignore`` left out."""
    with duckdb.connect(str(duckdb_db), read_only=True) as con:
        names = [tuple(t.split(".", 1)) for t in tables] if tables else con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_type = 'BASE TABLE' and table_schema in {COMPARED_SCHEMAS} "
            "order by 1, 2").fetchall()
        return [compare_table(con, schema, table, spark.table(schema, table), ignore)
                for schema, table in names]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse")
    parser.add_argument("tables", nargs="*", help="schema.table (default: all)")
    parser.add_argument("--duckdb", help="DuckDB's tables from this database instead")
    parser.add_argument("--ignore", action="append", default=[], metavar="COLUMN",
                        help="leave this column out of every table (repeatable)")
    args = parser.parse_args(argv)
    warehouse = Warehouse.at(args.warehouse)
    results = compare(Path(args.duckdb) if args.duckdb else warehouse.build_db,
                      SparkPaths.of(warehouse), args.tables or None, frozenset(args.ignore))
    for r in results:
        print(r.describe())
    return 0 if all(r.equal for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
