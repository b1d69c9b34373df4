"""Run the project's dbt against one warehouse's build database."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

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


def run_dbt(warehouse: Warehouse, args: list[str], *, quiet: bool = False) -> DbtOutcome:
    from dbt.cli.main import dbtRunner

    root = project_dir()
    os.environ[DB_ENV] = str(warehouse.build_db)
    cli = [
        *args,
        "--project-dir", str(root),
        "--profiles-dir", str(root),
        "--target-path", str(warehouse.dbt_dir / "target"),
        "--log-path", str(warehouse.dbt_dir / "logs"),
    ]
    if quiet:
        cli = ["--quiet", *cli]
    result = dbtRunner().invoke(cli)
    nodes: list[dict[str, object]] = []
    res = result.result
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
