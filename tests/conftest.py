"""Shared fixtures: one small generated landing zone and its refreshed warehouse per session.

Everything is real: the generator writes files, the ``posaudit`` console script refreshes them
into a DuckDB file with a real ``dbt build``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.paths import POSAUDIT, ROOT, SAMPLES, SHARED  # noqa: F401  (re-exported)

SMALL = {"seed": 7, "days": 10, "terminals": 12, "transactions": 6000, "per_type": 20}


@dataclass(frozen=True)
class Built:
    landing: Path
    warehouse: Path
    first: subprocess.CompletedProcess[str]


def run_cli(*args: str, env: dict[str, str] | None = None,
            check: bool = False) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(POSAUDIT), *args], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, **(env or {})}, timeout=600,
    )
    if check and result.returncode not in (0, 1):
        raise AssertionError(f"posaudit {args[0]} exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="session")
def generated_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from posaudit.tools.generator import GenerateConfig, generate

    out = tmp_path_factory.mktemp("landing") / "landing"
    generate(GenerateConfig(out=out, **SMALL))
    return out


@pytest.fixture(scope="session")
def built(generated_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    warehouse = tmp_path_factory.mktemp("wh") / "warehouse"
    first = run_cli("refresh", "--landing", str(generated_landing), "--warehouse",
                    str(warehouse), check=True)
    return Built(generated_landing, warehouse, first)


@pytest.fixture
def landing_copy(generated_landing: Path, tmp_path: Path) -> Path:
    target = tmp_path / "landing"
    shutil.copytree(generated_landing, target)
    return target
