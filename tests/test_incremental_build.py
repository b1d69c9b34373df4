"""Incremental builds: adding a day recomputes a window, and gives the same warehouse as a full
build of everything; whatever could change older rows makes the build full."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import duckdb
import pytest

from posaudit.pipeline import build_window
from posaudit.tools.generator import GenerateConfig, generate
from posaudit.tools.generator.extra_day import add_files, copy_tree, split
from tests.helpers.cli import run_cli
from tests.helpers.relations import differences
from tests.helpers.rows import scalar

# What the case store feeds: after a publish the sync opens cases, which the next build reads.
CASE_TABLES = {"int_cases_summarised", "fct_error_reports", "mart_loss_assessment"}


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A 12-day zone (whole), the same less its last day (first) and that day (extra)."""
    root = tmp_path_factory.mktemp("incremental")
    whole = root / "whole"
    generate(GenerateConfig(out=whole, seed=11, days=12, terminals=16, transactions=12000,
                            per_type=10))
    first, extra = root / "first", root / "extra"
    copy_tree(whole, first)
    split(first, extra)
    return whole, first, extra


def _refresh(landing: Path, warehouse: Path, *extra: str, built: bool = True) -> dict:
    result = run_cli("refresh", "--landing", str(landing), "--warehouse", str(warehouse),
                     *extra, check=True)
    runs = sorted((warehouse / "runs").glob("*.json"))
    record = json.loads(runs[-1].read_text())
    assert (record["build"] is not None) == built, result.stdout
    return record


def test_adding_a_day_is_incremental_and_equals_a_full_build(
        days: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, first, extra = days
    landing = tmp_path / "landing"
    copy_tree(first, landing)
    inc, full = tmp_path / "inc", tmp_path / "full"

    record = _refresh(landing, inc)
    assert record["build"]["mode"] == "FULL"
    assert record["build"]["reason"] == "first build"
    # The cases the first publish opened: the second build reads them as a source.
    cases = tmp_path / "cases.sqlite"
    _copy_sqlite(inc / "cases.sqlite", cases)

    delivered = add_files(extra, landing)
    assert delivered > 0
    record = _refresh(landing, inc)
    build = record["build"]
    assert build["mode"] == "INCREMENTAL", build
    first_day = min(p.name for p in (first / "terminal").iterdir())
    assert build["start"] > "2026-10-02", (build, first_day)  # not the whole history
    assert build["new_files"] == delivered

    # The same files and the same case store in one full build, with the same card key.
    full.mkdir()
    shutil.copy(inc.parent / "inc.card-key", full.parent / "full.card-key")
    _copy_sqlite(cases, full / "cases.sqlite")
    record = _refresh(landing, full)
    assert record["build"]["mode"] == "FULL"
    assert differences(inc / "build.duckdb", full / "build.duckdb") == {}


def _copy_sqlite(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def test_nothing_new_changes_nothing(days: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, first, _ = days
    warehouse = tmp_path / "wh"
    _refresh(first, warehouse)
    before = tmp_path / "before.duckdb"
    shutil.copy(warehouse / "build.duckdb", before)
    # Nothing new at all: no build.
    record = _refresh(first, warehouse, built=False)
    assert record["outcome"] == "UNCHANGED"
    assert differences(before, warehouse / "build.duckdb", frozenset(CASE_TABLES)) == {}

    # A file touched, its content the same: ingest loads nothing, and the incremental build
    # that follows changes nothing.
    touched = sorted((first / "terminal").iterdir())[0]
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    record = _refresh(first, warehouse)
    assert record["build"]["mode"] == "INCREMENTAL"
    assert record["build"]["new_files"] == 0
    assert differences(before, warehouse / "build.duckdb", frozenset(CASE_TABLES)) == {}

    # Asked for, a full build gives the same again.
    record = _refresh(first, warehouse, "--full")
    assert record["build"] == {**record["build"], "mode": "FULL", "reason": "asked for"}
    assert differences(before, warehouse / "build.duckdb", frozenset(CASE_TABLES)) == {}


def test_what_makes_a_build_full(days: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, first, _ = days
    warehouse = tmp_path / "wh"
    _refresh(first, warehouse)
    db = warehouse / "build.duckdb"
    manifest = warehouse / "dbt" / "target" / "manifest.json"
    with duckdb.connect(str(db)) as con:
        fingerprint = scalar(con, "select fingerprint from raw.build_window "
                                  "order by planned_at desc limit 1")

        window = build_window.plan(con, "r1", fingerprint, manifest)
        assert window.mode == "INCREMENTAL"
        # r1 never finished (its dbt build died): the next build cannot trust the tables.
        window = build_window.plan(con, "r2", fingerprint, manifest)
        assert (window.mode, window.reason) == ("FULL", "the previous build did not finish")
        build_window.mark_done(con, "r2")
        assert scalar(con, "select state from raw.build_window where run_id = 'r1'"
                           ) == "ABANDONED"

        window = build_window.plan(con, "r3", "another version of the models", manifest)
        assert (window.mode, window.reason) == (
            "FULL", "models, macros, seeds or settings changed")
        build_window.mark_done(con, "r3")

        # A file superseded since the last build: its rows may sit anywhere in the history.
        window = build_window.plan(con, "r4", "another version of the models", manifest)
        assert window.mode == "INCREMENTAL"
        build_window.mark_done(con, "r4")
        con.execute("update raw.file_manifest set status = 'SUPERSEDED' where file_id = "
                    "(select min(file_id) from raw.file_manifest where layout = 'pos_journal_v1')")
        window = build_window.plan(con, "r5", "another version of the models", manifest)
        assert (window.mode, window.reason) == (
            "FULL", "1 file(s) superseded since the last build")


def test_the_fingerprint_follows_the_models(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: x\n")
    model = project / "models" / "m.sql"
    model.write_text("select 1")
    one = build_window.code_fingerprint(project)
    model.write_text("select 2")
    assert build_window.code_fingerprint(project) != one
    model.write_text("select 1")
    assert build_window.code_fingerprint(project) == one
