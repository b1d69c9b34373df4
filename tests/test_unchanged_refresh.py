"""A refresh with nothing new: the current snapshot stays (no build, no copy, the warehouse
does not grow), the run says UNCHANGED and repeats the standing warnings with the same exit
code; a refresh with something new still publishes. Also: the build database is compacted
into a fresh file when DuckDB has left much of it free.

Real DuckDB files and real ``posaudit refresh`` runs with dbt."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from posaudit.pipeline.warehouse import Warehouse, write_json
from tests.helpers.cli import Built, copy_warehouse, run_cli, run_id_of
from tests.helpers.rows import scalar

pytestmark = pytest.mark.slow


def folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def refresh(landing: Path, wh: Warehouse) -> tuple[int, str]:
    done = run_cli("refresh", "--landing", str(landing), "--warehouse", str(wh.root),
                   env={"POSAUDIT_PROGRESS": "plain"})
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    return done.returncode, done.stdout


def test_nothing_new_publishes_nothing_and_repeats_the_standing_warnings(
        built: Built, landing_copy: Path, tmp_path: Path) -> None:
    wh = copy_warehouse(built, tmp_path / "wh")
    # A file that does not parse: quarantined, a warning (exit 1) on the run that sees it.
    garbage = landing_copy / "settlement" / "garbage.csv"
    garbage.write_bytes(b"\x00\x01not,a,known\nlayout at all\n")
    code, out = refresh(landing_copy, wh)
    assert code == 1 and "settlement/garbage.csv" in out and "not recognised" in out
    published = wh.current_id()
    assert published == run_id_of(out)

    before = (folder_bytes(wh.root), wh.build_db.stat().st_size, sorted(wh.snapshot_ids()))
    build_mtime = wh.build_db.stat().st_mtime_ns
    for _ in range(3):
        code, out = refresh(landing_copy, wh)
        assert code == 1, out[-2000:]  # the same data, the same exit code
        assert f"unchanged: nothing new since snapshot {published}" in out
        assert "settlement/garbage.csv" in out and "not recognised" in out
        record = json.loads(wh.run_record_path(run_id_of(out)).read_text())
        assert record["outcome"] == "UNCHANGED" and record["exit_code"] == 1
        assert record["standing_snapshot"] == published and record["snapshot_id"] is None
        assert "dbt_build" not in record["timings"] and "publish" not in record["timings"]
    assert wh.current_id() == published
    assert sorted(wh.snapshot_ids()) == before[2]
    assert wh.build_db.stat().st_mtime_ns == build_mtime  # not even opened for writing
    assert wh.build_db.stat().st_size == before[1]
    assert abs(folder_bytes(wh.root) - before[0]) <= 0.05 * before[0]

    # Something new (a renamed copy of a journal): a real refresh publishes again, and the
    # file quarantined two runs ago still stands as a warning.
    journal = sorted((landing_copy / "terminal").iterdir())[0]
    shutil.copyfile(journal, journal.with_name("renamed_" + journal.name))
    code, out = refresh(landing_copy, wh)
    assert wh.current_id() == run_id_of(out) != published
    assert code == 1 and "settlement/garbage.csv" in out, out[-2000:]
    assert "quarantined in run" in out

    # Removed, the file no longer warns.
    garbage.unlink()
    code, out = refresh(landing_copy, wh)
    assert code == 0, out[-2000:]
    assert wh.current_id() == run_id_of(out)


def test_a_changed_policy_or_a_case_action_is_something_new(built: Built,
                                                            tmp_path: Path) -> None:
    wh = copy_warehouse(built, tmp_path / "wh")
    refresh(built.landing, wh)  # brings in what the first refresh's case sync changed
    _, out = refresh(built.landing, wh)
    assert "unchanged: nothing new" in out, out[-2000:]
    policy = tmp_path / "dq.yml"
    policy.write_text("marts:\n  row_count_drop_tolerance: 0.5\n", encoding="utf-8")
    changed = run_cli("refresh", "--landing", str(built.landing), "--warehouse", str(wh.root),
                      "--dq-config", str(policy))
    assert "because the data-quality policy changed" in changed.stdout, changed.stdout[-2000:]
    assert wh.current_id() == run_id_of(changed.stdout)
    with duckdb.connect(str(wh.current_snapshot()), read_only=True) as con:
        case_id = scalar(con, "select case_id from cases.cases limit 1")
    assert run_cli("cases", "users", "add", "olga", "--role", "operator", "--warehouse",
                   str(wh.root)).returncode == 0
    acted = run_cli("cases", "act", case_id, "assign", "--actor", "olga", "--warehouse",
                    str(wh.root))
    assert acted.returncode == 0, acted.stderr
    again = run_cli("refresh", "--landing", str(built.landing), "--warehouse", str(wh.root),
                    "--dq-config", str(policy))
    assert "because cases changed" in again.stdout, again.stdout[-2000:]
    assert wh.current_id() == run_id_of(again.stdout)
    full = run_cli("refresh", "--landing", str(built.landing), "--warehouse", str(wh.root),
                   "--dq-config", str(policy), "--full")
    assert "because --full asked for" in full.stdout
    assert re.search(r"full build \(asked for\)", full.stdout)


def test_the_build_database_is_compacted_into_a_fresh_file(built: Built,
                                                           tmp_path: Path) -> None:
    wh = copy_warehouse(built, tmp_path / "wh")
    with duckdb.connect(str(wh.build_db)) as con:
        tables = con.execute("select schema_name, table_name, estimated_size "
                             "from duckdb_tables() order by 1, 2").fetchall()
        counts = {(s, t): con.execute(f'select count(*) from "{s}"."{t}"').fetchone()
                  for s, t, _ in tables}
        views = con.execute("select count(*) from duckdb_views() where not internal").fetchone()
        # Free blocks, as a replaced table leaves them: in the middle of the file (DuckDB cuts
        # free blocks off its end), so a table written after the scratch one stays.
        con.execute("create table main.scratch as select md5(range::varchar) as s "
                    "from range(800000)")
        con.execute("checkpoint")
        con.execute("create table main.after_scratch as select md5(range::varchar) as s "
                    "from range(50000)")
        con.execute("checkpoint")
        con.execute("drop table main.scratch")
        con.execute("checkpoint")
    grown = wh.build_db.stat().st_size
    wh.compacted_record.unlink(missing_ok=True)  # the first look records the baseline
    assert wh.compact_build(min_free_share=0.99) is None  # below the share: left alone
    assert json.loads(wh.compacted_record.read_text())["bytes"] == grown
    done = wh.compact_build()
    assert done is not None and done.bytes_before == grown
    assert wh.build_db.stat().st_size == done.bytes_after < grown
    assert not list(wh.root.glob("build.duckdb.*"))
    assert wh.compact_build() is None  # fresh: nothing free, no growth
    # Grown by more than the share since it was last written fresh (deleted rows and
    # half-empty row groups, which free blocks do not show): compacted too.
    write_json(wh.compacted_record, {"bytes": done.bytes_after // 2})
    assert wh.compact_build() is not None
    with duckdb.connect(str(wh.build_db), read_only=True) as con:
        assert {(s, t): con.execute(f'select count(*) from "{s}"."{t}"').fetchone()
                for s, t, _ in tables} == counts
        assert con.execute("select count(*) from duckdb_views() where not internal"
                           ).fetchone() == views
        assert scalar(con, "select count(*) from main.fct_transactions") > 0
