"""Shared fixtures: one small generated landing zone and its refreshed warehouse per session.

Everything is real: the generator writes files, the ``posaudit`` console script refreshes them
into a DuckDB file with a real ``dbt build``.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import MONTH, SMALL, Built, Generation, run_cli


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """Streamlit's AppTest installs the dashboard script as ``__main__`` and leaves it there; a
    later test in the same process that spawns Python (multiprocessing) would run the
    dashboard in its children. Put the real one back after every test."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def generation(tmp_path_factory: pytest.TempPathFactory) -> Generation:
    """The session's small landing zone, generated once with its summary and progress lines
    (the generator's own tests read those; everything else reads the files)."""
    from posaudit.tools.generator import GenerateConfig, generate

    out = tmp_path_factory.mktemp("landing") / "landing"
    messages: list[str] = []
    summary = generate(GenerateConfig(out=out, **SMALL), progress=messages.append)
    return Generation(out, summary, tuple(messages))


@pytest.fixture(scope="session")
def generated_landing(generation: Generation) -> Path:
    return generation.landing


@pytest.fixture(scope="session")
def month_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 28-day zone, generated once and only read: the weekday baseline of the data-quality
    volume check needs earlier weeks of the same weekday."""
    from posaudit.tools.generator import GenerateConfig, generate

    out = tmp_path_factory.mktemp("month") / "landing"
    generate(GenerateConfig(out=out, **MONTH))
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
