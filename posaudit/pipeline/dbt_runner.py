"""Run the project's dbt against one warehouse's build database."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from posaudit.pipeline.warehouse import Warehouse
from posaudit.resources import project_dir

DB_ENV = "POSAUDIT_DB_PATH"


@dataclass
class DbtOutcome:
    success: bool
    nodes: list[dict[str, object]] = field(default_factory=list)
    error: str | None = None

    @property
    def failures(self) -> list[dict[str, object]]:
        return [n for n in self.nodes if n["status"] in ("error", "fail", "runtime error")]

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
        nodes.append({
            "name": r.node.name,
            "resource_type": str(r.node.resource_type),
            "status": str(r.status),
            "seconds": round(float(r.execution_time or 0), 3),
            "message": r.message,
            "failures": r.failures,
        })
    error = str(result.exception) if result.exception else None
    return DbtOutcome(success=bool(result.success), nodes=nodes, error=error)
