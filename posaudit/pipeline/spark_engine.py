"""Build the dbt project on Apache Spark instead of DuckDB (``posaudit refresh --engine spark``).

Ingest, the build window, the checks and publication stay with the build database; only the
models are computed by Spark:

1. ``export_sources``: every table a dbt source names is found as Parquet under
   ``W/spark/sources/<schema>/<table>/``: the raw layer's own files (``W/raw``, linked), the
   rest (the manifest, the build window, cases, audit tables: all small) written from the build
   database. The project's ``register_sources`` hook makes each an external Spark table at the
   start of the run.
2. ``run_dbt_spark``: dbt with the ``spark`` target (profiles.yml) in a process of its own, so
   that Spark's driver gets its own memory and a warehouse never shares a session with another.
   The models are Parquet tables under ``W/spark/tables/``, cataloged in ``W/spark/metastore``.
3. ``freeze_run``: the files of every table the run built are hard-linked under
   ``W/spark/runs/<run id>/<schema>/<table>/``. Spark never rewrites a Parquet file in place
   (a rebuild writes new files and deletes the old), so these stay as the run wrote them.
4. ``catalog``: in the build database each of those tables becomes a view over its frozen
   files. The mart checks, the snapshot copied from the build database, the dashboards and
   ``posaudit sql`` then read Spark's output through DuckDB, and a rolled-back snapshot still
   finds its own run's files (``prune_runs`` keeps a run's files while its snapshot exists).

```
W/spark/
  sources/<schema>/<table>/   the dbt sources as Parquet (links to W/raw, copies of the rest)
  tables/<schema>.db/<table>/ the models (Spark's warehouse; incremental builds change them)
  metastore/                  Spark's catalog of them (Derby)
  runs/<run id>/              each published run's tables, frozen (hard links)
  dbt/                        dbt's target and logs for Spark builds
```
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from posaudit.ingest.load import RAW, TABLE_DDL
from posaudit.ingest.raw_files import RawFiles
from posaudit.pipeline.dbt_runner import DbtOutcome
from posaudit.pipeline.warehouse import Warehouse, read_json
from posaudit.resources import project_dir

DUCKDB, SPARK = "duckdb", "spark"
SPARK_DIR_ENV = "POSAUDIT_SPARK_DIR"
SOURCES_ENV = "POSAUDIT_SPARK_SOURCES"
MASTER_ENV = "POSAUDIT_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"
SPARK_TARGET, THRIFT_TARGET = "spark", "spark_thrift"


@dataclass(frozen=True)
class SparkPaths:
    root: Path

    @classmethod
    def of(cls, warehouse: Warehouse) -> SparkPaths:
        return cls(warehouse.root.resolve() / "spark")

    @property
    def sources(self) -> Path:
        return self.root / "sources"

    @property
    def tables(self) -> Path:
        return self.root / "tables"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def dbt(self) -> Path:
        return self.root / "dbt"

    @property
    def manifest(self) -> Path:
        return self.dbt / "target" / "manifest.json"

    def table(self, schema: str, name: str) -> Path:
        return self.tables / f"{schema}.db" / name

    def frozen(self, run_id: str, schema: str, name: str) -> Path:
        return self.runs / run_id / schema / name


@dataclass(frozen=True)
class SparkOptions:
    """Where dbt's Spark runs: ``master`` for the session target (local[2] by default, or a
    cluster's URL), or ``target`` spark_thrift for a Thrift server (host and port from
    $POSAUDIT_SPARK_HOST and $POSAUDIT_SPARK_PORT)."""

    master: str | None = None
    target: str = SPARK


@dataclass
class SparkRun(DbtOutcome):
    """A dbt run on Spark: its nodes, and dbt's console output (the run is a process of its
    own, so its errors are read there)."""

    output: str = ""


# --- 1. sources ------------------------------------------------------------------------------


def source_tables(manifest: Path) -> list[tuple[str, str]]:
    """(schema, table) of every dbt source in a compiled manifest."""
    nodes = json.loads(manifest.read_text())["sources"].values()
    return sorted({(n["schema"], n["identifier"]) for n in nodes})


def export_sources(build_db: Path, tables: Iterable[tuple[str, str]], root: Path,
                   raw: RawFiles) -> None:
    """Make ``root/<schema>/<table>/`` hold each source table as Parquet: a link to the raw
    layer's folder when the table has files there, else one file written from the build
    database (an empty table still writes its schema)."""
    if root.exists():
        shutil.rmtree(root)
    with duckdb.connect(str(build_db), read_only=True) as con:
        for schema, table in tables:
            folder = root / schema / table
            folder.parent.mkdir(parents=True, exist_ok=True)
            if schema == RAW and table in TABLE_DDL and raw.file_ids(table):
                folder.symlink_to(raw.folder(table).resolve(), target_is_directory=True)
                continue
            folder.mkdir()
            con.execute(f"copy (select * from {schema}.{table}) to '{folder / 'part-0.parquet'}' "
                        "(format parquet, compression zstd)")


# --- 2. dbt on Spark ---------------------------------------------------------------------------


def spark_env(paths: SparkPaths, options: SparkOptions) -> dict[str, str]:
    env = dict(os.environ)
    env[SPARK_DIR_ENV] = str(paths.root)
    env[SOURCES_ENV] = str(paths.sources)
    env[MASTER_ENV] = options.master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER
    return env


def run_dbt_spark(warehouse: Warehouse, args: list[str],
                  options: SparkOptions = SparkOptions()) -> SparkRun:
    """dbt against ``warehouse``'s Spark folder in a process of its own."""
    paths = SparkPaths.of(warehouse)
    paths.root.mkdir(parents=True, exist_ok=True)
    root = project_dir()
    cli = [str(Path(sys.executable).parent / "dbt"), *args, "--target", options.target,
           "--project-dir", str(root), "--profiles-dir", str(root),
           "--target-path", str(paths.dbt / "target"), "--log-path", str(paths.dbt / "logs")]
    done = subprocess.run(cli, env=spark_env(paths, options), cwd=paths.root, text=True,
                          capture_output=True, check=False)
    return SparkRun(done.returncode == 0, _nodes(paths.dbt / "target" / "run_results.json"),
                    output=done.stdout + done.stderr)


def _nodes(run_results: Path) -> list[dict[str, object]]:
    data = read_json(run_results) or {}
    return [{"name": r["unique_id"].split(".")[-1], "resource_type": r["unique_id"].split(".")[0],
             "status": r["status"], "seconds": round(float(r.get("execution_time") or 0), 3),
             "message": r.get("message"), "failures": r.get("failures")}
            for r in data.get("results", [])]


def build(warehouse: Warehouse, args: list[str],
          options: SparkOptions = SparkOptions()) -> SparkRun:
    """Export the build database's sources and run dbt (``args``) on Spark."""
    paths = SparkPaths.of(warehouse)
    parsed = run_dbt_spark(warehouse, ["parse"], options)
    if not parsed.success:
        return parsed
    export_sources(warehouse.build_db, source_tables(paths.manifest), paths.sources,
                   RawFiles(warehouse.raw_dir))
    return run_dbt_spark(warehouse, args, options)


# --- 3. freeze, 4. catalog ------------------------------------------------------------------


def built_tables(manifest: Path) -> list[tuple[str, str]]:
    """(schema, name) of every seed and every model Spark keeps as a table (views are left
    to DuckDB)."""
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return sorted((n["schema"], n["alias"]) for n in nodes
                  if n["resource_type"] == "seed"
                  or (n["resource_type"] == "model"
                      and n["config"].get("materialized") in ("table", "incremental")))


def freeze_run(warehouse: Warehouse, run_id: str) -> list[tuple[str, str]]:
    """Hard-link the files of every table the build made under ``runs/<run_id>/``."""
    paths = SparkPaths.of(warehouse)
    tables = built_tables(paths.manifest)
    target = paths.runs / run_id
    if target.exists():
        shutil.rmtree(target)
    for schema, name in tables:
        source = paths.table(schema, name)
        for file in sorted(source.rglob("*.parquet")):
            if any(part.startswith(("_", ".")) for part in file.relative_to(source).parts):
                continue
            frozen = paths.frozen(run_id, schema, name) / file.relative_to(source)
            frozen.parent.mkdir(parents=True, exist_ok=True)
            os.link(file, frozen)
        # A table without rows still has its folder: the catalog's view reads it.
        paths.frozen(run_id, schema, name).mkdir(parents=True, exist_ok=True)
    return tables


def catalog(con: duckdb.DuckDBPyConnection, warehouse: Warehouse, run_id: str,
            tables: Iterable[tuple[str, str]]) -> None:
    """Make each table a view over the run's frozen files in the build database. Times are
    UTC in both engines: a time Spark wrote as an instant is read back as UTC wall time."""
    paths = SparkPaths.of(warehouse)
    for schema, name in tables:
        folder = paths.frozen(run_id, schema, name)
        scan = f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true, " \
               "union_by_name = true)"
        columns = con.execute(f"describe select * from {scan}").fetchall()
        select = ", ".join(
            f'timezone(\'UTC\', "{c}") as "{c}"' if t == "TIMESTAMP WITH TIME ZONE" else f'"{c}"'
            for c, t, *_ in columns)
        con.execute(f"create schema if not exists {schema}")
        kind = con.execute(
            "select table_type from information_schema.tables "
            "where table_schema = ? and table_name = ?", [schema, name]).fetchone()
        if kind is not None and kind[0] == "BASE TABLE":
            con.execute(f'drop table "{schema}"."{name}"')
        con.execute(f'create or replace view "{schema}"."{name}" as select {select} from {scan}')


def uncatalog(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> int:
    """Drop the views ``catalog`` made (those reading a frozen Spark run), so that DuckDB can
    build its own tables in their place; returns how many."""
    runs = f"{SparkPaths.of(warehouse).runs}/"
    views = con.execute("select schema_name, view_name from duckdb_views() "
                        "where not internal and contains(sql, ?)", [runs]).fetchall()
    for schema, name in views:
        con.execute(f'drop view "{schema}"."{name}"')
    return len(views)


def prune_runs(warehouse: Warehouse) -> list[str]:
    """Delete the frozen files of runs that no snapshot reads any more."""
    runs = SparkPaths.of(warehouse).runs
    if not runs.is_dir():
        return []
    kept = set(warehouse.snapshot_ids())
    removed = [d.name for d in runs.iterdir() if d.is_dir() and d.name not in kept]
    for name in removed:
        shutil.rmtree(runs / name, ignore_errors=True)
    return removed


if __name__ == "__main__":  # python -m posaudit.pipeline.spark_engine W [dbt args...]
    done = build(Warehouse.at(sys.argv[1]), sys.argv[2:] or ["build"])
    print(done.output[-20000:])
    raise SystemExit(0 if done.success else 1)
