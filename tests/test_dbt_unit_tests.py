"""dbt's own unit tests (given / expect rows) for every exception rule (each rule model and
fct_exceptions's keys and root causes), the matching rules and
the contract macros. The refresh skips them, since they test logic rather than data; they run
here, in a separate dbt process against a copy of a real warehouse (dbt reads the column types
of the models it mocks)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built
from tests.helpers.paths import ROOT


def test_dbt_unit_tests_pass(built: Built, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(Warehouse.at(built.warehouse).current_snapshot(), db)
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), "test", "--select", "test_type:unit", "--project-dir", str(ROOT),
         "--profiles-dir", str(ROOT), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "POSAUDIT_DB_PATH": str(db)},
    )
    assert result.returncode == 0, result.stdout[-4000:]
    passed = [line for line in result.stdout.splitlines() if " PASS " in line]
    assert len(passed) >= 31, result.stdout[-2000:]
