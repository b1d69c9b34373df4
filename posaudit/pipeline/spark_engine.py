"""Build the dbt project on Apache Spark instead of DuckDB (``posaudit refresh --engine spark``).

The sources go to Spark as Parquet: every table a dbt source names is written from the build
database to ``W/spark/sources/<schema>/<table>/`` and registered by the project's
``register_sources`` hook as an external table. dbt runs in a process of its own (the
``spark`` target of profiles.yml, a Spark session of its own with its own driver memory),
writes the models as Parquet tables under ``W/spark/tables/`` and keeps its catalog in
``W/spark/metastore``.

```
W/spark/
  sources/<schema>/<table>/   Parquet copies of the dbt sources (rewritten each build)
  tables/<schema>.db/<table>/ the models, Parquet, one folder per table (Spark's warehouse)
  metastore/                  Spark's catalog of them (Derby)
  dbt/                        dbt's target and logs for Spark builds
```
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from posaudit.pipeline.warehouse import Warehouse
from posaudit.resources import project_dir

SPARK_DIR_ENV = "POSAUDIT_SPARK_DIR"
SOURCES_ENV = "POSAUDIT_SPARK_SOURCES"
MASTER_ENV = "POSAUDIT_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"


@dataclass(frozen=True)
class SparkPaths:
    root: Path

    @classmethod
    def of(cls, warehouse: Warehouse) -> SparkPaths:
        return cls(warehouse.root / "spark")

    @property
    def sources(self) -> Path:
        return self.root / "sources"

    @property
    def tables(self) -> Path:
        return self.root / "tables"

    @property
    def dbt(self) -> Path:
        return self.root / "dbt"

    def table(self, schema: str, name: str) -> Path:
        return self.tables / f"{schema}.db" / name


def source_tables(manifest: Path) -> list[tuple[str, str]]:
    """(schema, table) of every dbt source in a compiled manifest."""
    nodes = json.loads(manifest.read_text())["sources"].values()
    return sorted({(n["schema"], n["identifier"]) for n in nodes})


def export_sources(build_db: Path, tables: list[tuple[str, str]], root: Path) -> None:
    """Write each source table of the build database as one Parquet file under
    ``root/<schema>/<table>/`` (an empty table still writes its schema)."""
    if root.exists():
        shutil.rmtree(root)
    with duckdb.connect(str(build_db), read_only=True) as con:
        for schema, table in tables:
            folder = root / schema / table
            folder.mkdir(parents=True)
            con.execute(f"copy (select * from {schema}.{table}) to '{folder / 'part-0.parquet'}' "
                        "(format parquet, compression zstd)")


def spark_env(paths: SparkPaths, master: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env[SPARK_DIR_ENV] = str(paths.root.resolve())
    env[SOURCES_ENV] = str(paths.sources.resolve())
    env[MASTER_ENV] = master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER
    return env


def run_dbt_spark(warehouse: Warehouse, args: list[str], *, master: str | None = None
                  ) -> subprocess.CompletedProcess[str]:
    """dbt with the ``spark`` target in a process of its own, against ``warehouse``'s Spark
    folder; the sources must have been exported."""
    paths = SparkPaths.of(warehouse)
    root = project_dir()
    cli = [str(Path(sys.executable).parent / "dbt"), *args, "--target", "spark",
           "--project-dir", str(root), "--profiles-dir", str(root),
           "--target-path", str(paths.dbt / "target"), "--log-path", str(paths.dbt / "logs")]
    return subprocess.run(cli, env=spark_env(paths, master), cwd=paths.root, text=True,
                          capture_output=True, check=False)


def build_on_spark(warehouse: Warehouse, args: list[str] | None = None, *,
                   master: str | None = None) -> subprocess.CompletedProcess[str]:
    """Export the build database's sources and run ``dbt build`` (or ``args``) on Spark."""
    paths = SparkPaths.of(warehouse)
    paths.root.mkdir(parents=True, exist_ok=True)
    parsed = run_dbt_spark(warehouse, ["parse"], master=master)
    if parsed.returncode != 0:
        return parsed
    export_sources(warehouse.build_db, source_tables(paths.dbt / "target" / "manifest.json"),
                   paths.sources)
    return run_dbt_spark(warehouse, args or ["build"], master=master)


if __name__ == "__main__":  # python -m posaudit.pipeline.spark_engine W [dbt args...]
    done = build_on_spark(Warehouse.at(sys.argv[1]), sys.argv[2:] or None)
    print(done.stdout[-20000:], done.stderr[-5000:])
    raise SystemExit(done.returncode)
