"""Acceptance for the data-quality gate, end to end through ``posaudit refresh``.

A warehouse is published from the first days of a generated landing zone. Then the rest
arrives with five planted faults: a wallet bill whose summary does not tie, a bank statement
with a broken balance chain, an acquirer statement that repeats a line, an acquirer day with no
statement, and a terminal whose volume drops by 90 %. Each is caught and named; the critical
ones refuse publication and readers keep the previous snapshot; once the bad files are dealt
with the next refresh publishes, and ``dq_check_results`` holds every check of every run.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import run_cli
from tests.helpers.faults_files import Planted
from tests.helpers.faults_journal import drop_terminal_volume
from tests.helpers.faults_statements import (
    break_bank_chain,
    break_wallet_summary,
    drop_acquirer_day,
    repeat_statement_line,
)

pytestmark = pytest.mark.slow

_DATE = re.compile(r"(?<!\d)(20\d\d)-?(\d\d)-?(\d\d)(?!\d)")

# The refused run: its id, its check results, its output.
Refused = tuple[str, list[dict[str, object]], str]


@dataclass(frozen=True)
class Scenario:
    good: Path
    faulted: Path
    warehouse: Path
    planted: dict[str, Planted]
    first_run: str


def _name_date(name: str) -> date | None:
    m = _DATE.search(name)
    return date(int(m[1]), int(m[2]), int(m[3])) if m else None


def _copy_until(source: Path, target: Path, cutoff: date) -> None:
    """The landing zone as it stood on ``cutoff``: dated files up to it, undated ones all."""
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(source)
        when = _name_date(path.name)
        if when is not None and when > cutoff:
            continue
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / rel)


def _run_id(stdout: str) -> str:
    m = re.search(r"refresh (\S+): ", stdout)
    assert m, stdout[-2000:]
    return m[1]


@pytest.fixture(scope="module")
def scenario(month_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    root = tmp_path_factory.mktemp("dq_e2e")
    # 28 days: the volume check needs earlier weeks of the same weekday as a baseline.
    good = month_landing
    faulted = root / "faulted"
    shutil.copytree(good, faulted)
    planted = {p.fault: p for p in (
        break_wallet_summary(faulted), break_bank_chain(faulted),
        repeat_statement_line(faulted), drop_acquirer_day(faulted),
        drop_terminal_volume(faulted, 0.9),
    )}
    missing_day = date.fromisoformat(planted["acquirer_day_missing"].ids["settlement_date"])
    first = root / "first"
    _copy_until(good, first, missing_day - timedelta(days=2))
    warehouse = root / "warehouse"
    published = run_cli("refresh", "--landing", str(first), "--warehouse", str(warehouse))
    assert published.returncode in (0, 1), published.stdout[-3000:] + published.stderr[-3000:]
    return Scenario(good, faulted, warehouse, planted, _run_id(published.stdout))


def _results(db: Path, run_id: str) -> list[dict[str, object]]:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute("select * from audit.dq_check_results where run_id = ? "
                          "and status <> 'PASSED'", [run_id])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _named(results: list[dict[str, object]], check: str, **where: object) -> list[dict]:
    return [r for r in results if r["check_name"] == check
            and all(v is None or str(v) in str(r.get(k) or "") for k, v in where.items())]


@pytest.fixture(scope="module")
def refused(scenario: Scenario) -> Refused:
    result = run_cli("refresh", "--landing", str(scenario.faulted), "--warehouse",
                     str(scenario.warehouse))
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr[-3000:]
    run_id = _run_id(result.stdout)
    return run_id, _results(Warehouse.at(scenario.warehouse).build_db, run_id), result.stdout


def test_critical_faults_refuse_publication_and_readers_keep_the_last_snapshot(
        scenario: Scenario, refused: Refused) -> None:
    run_id, _, stdout = refused
    wh = Warehouse.at(scenario.warehouse)
    assert wh.current_snapshot().stem == scenario.first_run
    assert "refused to publish" in stdout
    shown = run_cli("sql", "--warehouse", str(wh.root), "--csv",
                    "select run_id, outcome from fct_refresh_runs order by started_at")
    assert shown.returncode == 0, shown.stderr
    assert scenario.first_run in shown.stdout and run_id not in shown.stdout
    record = json.loads((wh.runs_dir / f"{run_id}.json").read_text(encoding="utf-8"))
    assert record["outcome"] == "REFUSED" and record["exit_code"] == 2
    assert record["snapshot_id"] is None
    assert record["data_quality"]["counts"].get("failed_critical", 0) >= 3


def test_wallet_summary_that_does_not_tie_is_named(scenario: Scenario, refused: Refused) -> None:
    p = scenario.planted["wallet_summary_mismatch"]
    hits = _named(refused[1], "summary_ties", file_name=p.file, line_no=p.line)
    assert hits and {h["severity"] for h in hits} == {"critical"}
    assert any(h["field"] == p.field for h in hits)


def test_broken_balance_chain_is_named(scenario: Scenario, refused: Refused) -> None:
    p = scenario.planted["bank_balance_chain"]
    hits = _named(refused[1], "balance_chain", file_name=p.file, line_no=p.line)
    assert hits and {h["severity"] for h in hits} == {"critical"}


def test_repeated_statement_line_is_named(scenario: Scenario, refused: Refused) -> None:
    p = scenario.planted["statement_line_repeated"]
    hits = _named(refused[1], "keys_unique", file_name=p.file)
    assert hits and {h["severity"] for h in hits} == {"critical"}
    assert {p.line, p.changed_line} & {h["line_no"] for h in hits}


def test_acquirer_day_without_a_statement_is_flagged(scenario: Scenario, refused: Refused) -> None:
    p = scenario.planted["acquirer_day_missing"]
    hits = _named(refused[1], "settlement_file_present", detail=p.ids["settlement_date"])
    hits = [h for h in hits if p.ids["merchant_id"] in str(h["detail"])]
    assert hits and {h["severity"] for h in hits} == {"warning"}
    assert p.ids["acquirer"] in str(hits[0]["detail"])


def test_terminal_volume_drop_is_flagged(scenario: Scenario, refused: Refused) -> None:
    p = scenario.planted["terminal_volume_drop"]
    hits = _named(refused[1], "volume_within_baseline", detail=p.ids["terminal_id"])
    assert [h for h in hits if p.ids["date"] in str(h["detail"])]
    assert {h["severity"] for h in hits} == {"warning"}


def test_refused_file_blocks_until_dealt_with_then_every_run_is_on_record(
        scenario: Scenario, refused: Refused) -> None:
    wh = Warehouse.at(scenario.warehouse)
    # Nothing changed: the refused files are still there, so the gate still holds.
    again = run_cli("refresh", "--landing", str(scenario.faulted), "--warehouse", str(wh.root))
    assert again.returncode == 2, again.stdout[-2000:]
    assert "no_critical_quarantine_outstanding" in again.stdout
    assert wh.current_snapshot().stem == scenario.first_run
    # Put the counterparties' correct files back: the gate releases, the rest publishes.
    for fault in ("wallet_summary_mismatch", "bank_balance_chain", "statement_line_repeated"):
        rel = scenario.planted[fault].file
        shutil.copy2(scenario.good / rel, scenario.faulted / rel)
    final = run_cli("refresh", "--landing", str(scenario.faulted), "--warehouse", str(wh.root))
    assert final.returncode in (0, 1), final.stdout[-3000:] + final.stderr[-3000:]
    final_run = _run_id(final.stdout)
    assert wh.current_snapshot().stem == final_run
    runs = run_cli("sql", "--warehouse", str(wh.root), "--csv",
                   "select run_id, count(*) as checks, count(*) filter (where status = 'FAILED')"
                   " as failed from fct_dq_check_results group by run_id order by run_id")
    assert runs.returncode == 0, runs.stderr
    seen = {line.split(",")[0] for line in runs.stdout.splitlines()[1:]}
    assert {scenario.first_run, refused[0], _run_id(again.stdout), final_run} <= seen
