"""The ``posaudit`` console script as the tests run it, the small generated zone the session
builds, and copies of a built warehouse."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.paths import POSAUDIT, ROOT

if TYPE_CHECKING:
    from posaudit.tools.generator import GenerateSummary



class Scale(TypedDict):
    """Generator settings of a test zone, passed to GenerateConfig as keywords."""

    days: int
    terminals: int
    transactions: int
    per_type: int


class Zone(Scale):
    seed: int


# The session's landing zone: small enough for a quick refresh, with every exception type.
SMALL: Zone = {"seed": 7, "days": 10, "terminals": 12, "transactions": 6000, "per_type": 20}
# Four weeks of the same kind, for the checks that compare a day with earlier weeks.
MONTH: Zone = {**SMALL, "days": 28}


@dataclass(frozen=True)
class Generation:
    landing: Path
    summary: GenerateSummary
    progress: tuple[str, ...]


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


def copy_warehouse(built: Built, target: Path) -> Warehouse:
    """A copy of the session's warehouse, with its card key beside it."""
    shutil.copytree(built.warehouse, target, symlinks=True)
    key = built.warehouse.parent / f"{built.warehouse.name}.card-key"
    shutil.copyfile(key, target.parent / f"{target.name}.card-key")
    return Warehouse.at(target)


def run_id_of(stdout: str) -> str:
    m = re.search(r"refresh (\S+): ", stdout)
    assert m, stdout[-2000:]
    return m.group(1)
