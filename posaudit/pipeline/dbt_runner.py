"""Run the project's dbt against one warehouse's build database."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from posaudit.pipeline.warehouse import Warehouse
from posaudit.resources import project_dir

DB_ENV = "POSAUDIT_DB_PATH"
FAILED = ("error", "fail", "runtime error")


@dataclass
class DbtOutcome:
    success: bool
    nodes: list[dict[str, object]] = field(default_factory=list)
    error: str | None = None

    @property
    def failures(self) -> list[dict[str, object]]:
        return [n for n in self.nodes if n["status"] in FAILED]

    @property
    def warnings(self) -> list[dict[str, object]]:
        return [n for n in self.nodes if n["status"] == "warn"]


def parse_project(warehouse: Warehouse) -> tuple[DbtOutcome, Any]:
    """``dbt parse``, once for all of a refresh's dbt steps: it writes target/manifest.json,
    and the manifest it returns spares each ``run_dbt`` given it a parse of its own."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(_cli(warehouse, ["parse"], quiet=True))
    error = str(result.exception) if result.exception else None
    return DbtOutcome(success=bool(result.success), error=error), result.result


def run_dbt(warehouse: Warehouse, args: list[str], *, quiet: bool = False,
            manifest: Any = None) -> DbtOutcome:
    """``dbt <args>`` on the warehouse's build database. ``manifest``: what ``parse_project``
    returned, which also wrote it; dbt then writes only target/run_results.json, not the
    manifest again (on a small warehouse, writing it took a quarter of dbt's time)."""
    from dbt.artifacts.schemas.run import RunExecutionResult
    from dbt.cli.main import dbtRunner

    cli = _cli(warehouse, args, quiet=quiet)
    if manifest is not None:
        cli.append("--no-write-json")
    result = dbtRunner(manifest=manifest).invoke(cli)
    res = result.result
    if manifest is not None and isinstance(res, RunExecutionResult):
        res.write(str(warehouse.dbt_dir / "target" / "run_results.json"))
    nodes: list[dict[str, object]] = []
    for r in getattr(res, "results", None) or []:
        node: dict[str, object] = {
            "name": r.node.name,
            "resource_type": str(r.node.resource_type),
            "status": str(r.status),
            "seconds": round(float(r.execution_time or 0), 3),
            "message": r.message,
            "failures": r.failures,
        }
        if node["status"] in FAILED and node["resource_type"] == "test":
            # A test of several checks (columns_valid) says which failed only in its rows.
            node["sql"] = getattr(r.node, "compiled_code", None)
        nodes.append(node)
    error = str(result.exception) if result.exception else None
    return DbtOutcome(success=bool(result.success), nodes=nodes, error=error)


def _cli(warehouse: Warehouse, args: list[str], *, quiet: bool) -> list[str]:
    root = project_dir()
    os.environ[DB_ENV] = str(warehouse.build_db)
    cli = [
        *args,
        "--project-dir", str(root),
        "--profiles-dir", str(root),
        "--target-path", str(warehouse.dbt_dir / "target"),
        "--log-path", str(warehouse.dbt_dir / "logs"),
    ]
    return ["--quiet", *cli] if quiet else cli
