"""Spark's physical plan of every model, and the joins in them that cannot scale.

A CartesianProduct or a BroadcastNestedLoopJoin compares every row with every row: fine on a
day of demo data, hours on a year of a large merchant. Every join in the project must have an
equality key (merchant, terminal, card, day bucket) that Spark can hash or sort on, and a
tolerance or time window is a filter on top of it.

``python -m posaudit.pipeline.spark_plans W`` compiles the project for Spark against the
warehouse's Spark folder (posaudit.pipeline.spark_engine, after a Spark build, so that every
relation a model reads exists), asks Spark to EXPLAIN each model's SQL and prints one JSON
object: model name -> the offending operators in its plan (empty when none). It runs in a
process of its own: one Spark session per process, with the warehouse's catalog.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from posaudit.pipeline.spark_engine import SparkOptions, SparkPaths, run_dbt_spark, spark_env
from posaudit.pipeline.warehouse import Warehouse

UNSCALABLE = ("CartesianProduct", "BroadcastNestedLoopJoin")


def compiled_models(manifest: Path) -> dict[str, str]:
    """Model name -> compiled SQL, from a manifest written by ``dbt compile``."""
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return {n["name"]: n["compiled_code"] for n in nodes
            if n["resource_type"] == "model" and n.get("compiled_code")}


def offending(plan: str) -> list[str]:
    """The operators of a plan's text that join without a key."""
    return [line.strip() for line in plan.splitlines()
            if any(op in line for op in UNSCALABLE)]


def _session(paths: SparkPaths) -> Any:
    """A Spark session on the warehouse's catalog, configured as profiles.yml's spark target."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(os.environ.get("POSAUDIT_SPARK_MASTER", "local[2]"))
    for key, value in {
        "spark.sql.warehouse.dir": str(paths.tables),
        "spark.hadoop.javax.jdo.option.ConnectionURL":
            f"jdbc:derby:;databaseName={paths.root}/metastore;create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={paths.root}",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.ansi.enabled": "false",
        "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
        "spark.ui.enabled": "false",
    }.items():
        builder = builder.config(key, value)
    return builder.enableHiveSupport().getOrCreate()


def plans(warehouse: Warehouse) -> dict[str, list[str]]:
    """Model name -> the unscalable operators of its Spark plan."""
    paths = SparkPaths.of(warehouse)
    compiled = run_dbt_spark(warehouse, ["compile", "--select", "resource_type:model"])
    if not compiled.success:
        raise RuntimeError(f"dbt compile failed on Spark:\n{compiled.output[-3000:]}")
    os.environ.update(spark_env(paths, SparkOptions()))
    spark = _session(paths)
    try:
        return {name: offending(spark.sql(f"explain {sql}").collect()[0][0])
                for name, sql in sorted(compiled_models(paths.manifest).items())}
    finally:
        spark.stop()


if __name__ == "__main__":
    print(json.dumps(plans(Warehouse.at(sys.argv[1])), indent=1))
