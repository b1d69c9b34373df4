"""The same dbt project on Apache Spark: `posaudit refresh --engine spark` gives the marts DuckDB
gives, row for row, through the same published snapshots, a day added as in one go; and no
Spark plan joins without a key.

Real parts only: a local Spark (local[2], dbt-spark's session method, in the refresh's own dbt
process), real Parquet, real DuckDB snapshots. `make test` installs the Java runtime and
PySpark when they are missing.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from posaudit.pipeline import spark_engine, spark_plans
from posaudit.pipeline.spark_engine import SparkPaths
from posaudit.pipeline.warehouse import Warehouse
from posaudit.tools.engine_parity import TableParity, compare
from posaudit.tools.evaluate import evaluate
from posaudit.tools.generator import GenerateConfig, generate
from posaudit.tools.generator.extra_day import add_files, copy_tree, split
from tests.helpers.cli import run_cli
from tests.helpers.paths import ROOT
from tests.helpers.relations import RUN_TABLES, VOLATILE
from tests.helpers.rows import scalar

if shutil.which("java") is None:  # `make test` installs it (make spark-deps)
    pytest.skip("no Java runtime: run `make spark-deps` (openjdk-17-jre-headless)",
                allow_module_level=True)
pytest.importorskip("pyspark", reason="PySpark is missing: install the spark extra")

LABELLED = ROOT / "tests" / "fixtures" / "independent_labelled"
def _refresh(landing: Path, warehouse: Path, *extra: str) -> dict[str, Any]:
    """Refresh; the build of the run record (mode, reason, start)."""
    run_cli("refresh", "--landing", str(landing), "--warehouse", str(warehouse), *extra,
            check=True)
    record = json.loads(sorted((warehouse / "runs").glob("*.json"))[-1].read_text())
    assert record["outcome"].startswith("PUBLISHED"), record
    return dict(record["build"])


def _same_key(first: Path, other: Path) -> None:
    """Card tokens are keyed per warehouse: give ``other`` the key of ``first``."""
    other.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(first.parent / f"{first.name}.card-key", other.parent / f"{other.name}.card-key")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo landing zone (`make demo`'s), whole and less its last day (and that day)."""
    root = tmp_path_factory.mktemp("spark")
    whole = root / "whole"
    generate(GenerateConfig(out=whole, seed=1))
    first, extra = root / "first", root / "extra"
    copy_tree(whole, first)
    split(first, extra)
    return {"root": root, "whole": whole, "first": first, "extra": extra}


@pytest.fixture(scope="module")
def built(demo: dict[str, Path]) -> dict[str, Path]:
    """On Spark: the demo zone less its last day, then that day added incrementally. On DuckDB:
    the same files in one full build, with the same card key and the case store the first publish
    opened (a source of every build after it)."""
    root = demo["root"]
    landing, spark = root / "growing", root / "spark"
    copy_tree(demo["first"], landing)
    build = _refresh(landing, spark, "--engine", "spark")
    assert (build["mode"], build["reason"]) == ("FULL", "first build"), build
    first_snapshot = Warehouse.at(spark).current_id()
    assert add_files(demo["extra"], landing) > 0
    cases = root / "cases.sqlite"
    _copy_cases(spark / "cases.sqlite", cases)
    build = _refresh(landing, spark, "--engine", "spark")
    # The day is added incrementally: only its window's partitions are rebuilt.
    assert build["mode"] == "INCREMENTAL", build

    duck = root / "duck"
    duck.mkdir()
    _same_key(spark, duck)
    _copy_cases(cases, duck / "cases.sqlite")
    assert _refresh(landing, duck)["mode"] == "FULL"
    return {"spark": spark, "duck": duck, "first_snapshot": Path(str(first_snapshot))}


def _unequal(results: list[TableParity]) -> list[str]:
    return [r.describe() for r in results if not r.equal and r.table not in RUN_TABLES]


def test_every_table_is_equal_row_for_row_on_the_demo(built: dict[str, Path]) -> None:
    # Spark grew by a day, DuckDB built in one go: what says when a row was made or last
    # decided differs as between DuckDB's own incremental and full builds.
    results = compare(Warehouse.at(built["duck"]).build_db,
                      SparkPaths.of(Warehouse.at(built["spark"])), ignore=VOLATILE)
    tables = {r.table for r in results}
    assert {"fct_transactions", "fct_exceptions", "mart_reconciliation_daily",
            "mart_loss_assessment", "int_transactions_matched"} <= tables
    assert sum(r.duckdb_rows for r in results) > 100_000
    assert _unequal(results) == []


def test_the_day_added_on_spark_rewrites_only_its_window(built: dict[str, Path]) -> None:
    """Incremental for real: the days before the window keep the very files the first run
    wrote (the same inodes in both runs' frozen copies), the window's days are new files."""
    paths = SparkPaths.of(Warehouse.at(built["spark"]))
    runs = sorted(run.name for run in paths.runs.iterdir())
    first, last = runs[0], runs[-1]

    def files_by_day(run_id: str) -> dict[str, set[int]]:
        folder = paths.frozen(run_id, "intermediate", "int_transactions_matched")
        return {day.name: {f.stat().st_ino for f in day.glob("*.parquet")}
                for day in folder.iterdir() if day.name.startswith("business_date=")}

    before, after = files_by_day(first), files_by_day(last)
    days = sorted(before)
    assert len(after) == len(before) + 1 and sorted(after)[:-1] == days
    kept = [day for day in days if before[day] == after[day]]
    assert kept == days[:len(kept)] and len(kept) >= len(days) // 2, kept
    assert before[days[-1]] != after[days[-1]]


def test_the_spark_snapshot_reads_as_the_duckdb_one(built: dict[str, Path]) -> None:
    """Readers open the snapshot as before: the marts are there, typed as DuckDB's, times
    in UTC wall time, money exact."""
    sql = ("select count(*), sum(exposure_amount), count(distinct exception_id), "
           "min(business_date), max(txn_time) from fct_exceptions")
    answers = []
    for name in ("duck", "spark"):
        path = Warehouse.at(built[name]).current_snapshot()
        with duckdb.connect(str(path), read_only=True) as con:
            answers.append(con.execute(sql).fetchone())
            kinds = dict(con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_name = 'fct_transactions'").fetchall())
        assert kinds["txn_time"] == "TIMESTAMP" and kinds["business_date"] == "DATE", kinds
    assert answers[0] == answers[1]
    shown = run_cli("sql", "--warehouse", str(built["spark"]), "--csv",
                    "select exception_type, count(*) as n from fct_exceptions group by 1 "
                    "order by 1", check=True).stdout
    assert "DUPLICATE_CHARGE" in shown


def test_evaluate_scores_the_same(built: dict[str, Path], demo: dict[str, Path]) -> None:
    labels = demo["whole"] / "labels.csv"
    scores = [evaluate(Warehouse.at(built[name]), labels) for name in ("duck", "spark")]
    assert scores[0] == scores[1]
    assert len(scores[0]) >= 8


def test_a_rolled_back_spark_snapshot_still_reads_its_own_run(built: dict[str, Path]) -> None:
    growing = Warehouse.at(built["spark"])
    latest = growing.current_id()
    run_cli("rollback", "--warehouse", str(growing.root), "--to", built["first_snapshot"].name,
            check=True)
    try:
        with duckdb.connect(str(growing.current_snapshot()), read_only=True) as con:
            days = scalar(con, "select count(distinct business_date) from fct_transactions")
        with duckdb.connect(str(growing.snapshot_path(str(latest))), read_only=True) as con:
            assert scalar(con, "select count(distinct business_date) "
                               "from fct_transactions") == days + 1
    finally:
        run_cli("rollback", "--warehouse", str(growing.root), "--to", str(latest), check=True)


def test_the_labelled_fixture_gives_the_same_marts_and_scores(tmp_path: Path) -> None:
    duck, spark = tmp_path / "duck", tmp_path / "spark"
    _refresh(LABELLED, duck)
    _same_key(duck, spark)
    _refresh(LABELLED, spark, "--engine", "spark")
    assert _unequal(compare(Warehouse.at(duck).build_db, SparkPaths.of(Warehouse.at(spark)))) == []
    labels = LABELLED / "labels.csv"
    scores = [evaluate(Warehouse.at(w), labels, exclude_recovered=True) for w in (duck, spark)]
    assert scores[0] == scores[1]
    for s in scores[1]:
        assert s.precision >= 0.99 and s.recall >= 0.99, s


def _copy_cases(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def test_no_spark_plan_joins_without_a_key(built: dict[str, Path]) -> None:
    done = subprocess.run([sys.executable, "-m", "posaudit.pipeline.spark_plans",
                           str(built["spark"])], capture_output=True, text=True, cwd=ROOT,
                          check=False, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout)
    assert len(found) > 40
    assert {name: ops for name, ops in found.items() if ops} == {}


def test_the_plan_check_sees_a_join_without_a_key() -> None:
    plan = """== Physical Plan ==
AdaptiveSparkPlan isFinalPlan=false
+- BroadcastNestedLoopJoin BuildRight, Inner, (abs(t#1 - t#2) <= 600)
   :- FileScan parquet main.a[t#1]
   +- BroadcastExchange IdentityBroadcastMode
+- CartesianProduct
"""
    assert len(spark_plans.offending(plan)) == 2
    assert spark_plans.offending("+- SortMergeJoin [terminal_id#3], [terminal_id#9], Inner") == []



def test_the_duckdb_engine_drops_the_spark_catalog_before_it_builds(tmp_path: Path) -> None:
    """After a Spark build the build database's models are views over frozen runs; a DuckDB
    build (switching engines back) must find their names free, and only theirs."""
    warehouse = Warehouse.at(tmp_path / "wh")
    frozen = SparkPaths.of(warehouse).frozen("r1", "main", "fct_transactions")
    frozen.mkdir(parents=True)
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        con.execute(f"copy (select 1 as n) to '{frozen / 'part-0.parquet'}' (format parquet)")
        con.execute(f"create view fct_transactions as select * from "
                    f"read_parquet('{frozen}/**/*.parquet')")
        con.execute("create view fct_alerts as select 1 as n")
        assert spark_engine.uncatalog(con, warehouse) == 1
        assert [r[0] for r in con.execute("select view_name from duckdb_views() "
                                          "where not internal").fetchall()] == ["fct_alerts"]
