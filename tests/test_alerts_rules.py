"""Early-warning alerts: the rules on a warehouse built by a real refresh, dedupe across runs
and the alerts view."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from posaudit.alerts.config import (
    AlertsConfig,
    DataQualityRule,
    ExposureRule,
    PendingOverdueRule,
    RefreshFailedRule,
    TerminalErrorRateRule,
)
from posaudit.alerts.runner import raise_alerts
from posaudit.expectations.core import CRITICAL, FAILED, PASSED, WARNING, CheckResult
from posaudit.pipeline.refresh import run_ingest
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.alert_servers import hook_server
from tests.helpers.alerts import (
    OFF,
    copy_build,
    fetch_rows,
    refresh_result,
    webhook_channel,
)
from tests.helpers.cli import Built

pytestmark = pytest.mark.slow




def test_exposure_rule_on_a_refreshed_warehouse(built: Built, tmp_path: Path) -> None:
    warehouse = copy_build(built, tmp_path)
    db = warehouse.build_db
    expected = fetch_rows(db, "select exception_id, exposure_amount from main.fct_exceptions "
                         "where exposure_amount > 1000 and status <> 'RECOVERED'")
    assert len(expected) >= 2, "the generated landing zone should carry large exposures"
    config = replace(OFF, exception_exposure=ExposureRule(threshold=Decimal("1000.00")))
    alerts = raise_alerts(db, refresh_result("R1"), config)

    assert {(a.subject, a.value) for a in alerts} == {(e, Decimal(v)) for e, v in expected}
    assert all(a.rule == "exception_exposure" and a.subject_type == "exception"
               and a.severity == "warning" and a.threshold == Decimal("1000.00")
               for a in alerts)
    top = max(alerts, key=lambda a: a.value or 0)
    assert f"exposure {top.value:,.2f}" in top.message and "1,000.00 threshold" in top.message
    stored = fetch_rows(db, "select alert_id, run_id, run_outcome, rule, value, webhook_status, "
                       "email_status from audit.alerts order by alert_id")
    assert stored == sorted((a.alert_id, "R1", "PUBLISHED", "exception_exposure",
                             a.value, "NOT_CONFIGURED", "NOT_CONFIGURED") for a in alerts)

    # Strictly over: an exception at exactly the threshold is not alerted; per-type
    # thresholds and the type filter narrow the set.
    exact = replace(OFF, exception_exposure=ExposureRule(threshold=top.value or Decimal(0)))
    assert raise_alerts(db, refresh_result("R2"), exact) == []
    (etype,) = fetch_rows(db, "select exception_type from main.fct_exceptions "
                         "where exception_id = ?", [top.subject])[0]
    only = replace(OFF, exception_exposure=ExposureRule(
        threshold=Decimal(0), exception_types=frozenset({etype}),
        by_type={etype: (top.value or Decimal(0)) - Decimal("0.01")}))
    fresh = copy_build(built, tmp_path / "fresh")
    again = raise_alerts(fresh.build_db, refresh_result("R3"), only)
    assert [a.subject for a in again] == [top.subject]


def test_the_same_exception_is_not_alerted_twice(built: Built, tmp_path: Path) -> None:
    db = copy_build(built, tmp_path).build_db
    config = replace(OFF, exception_exposure=ExposureRule(threshold=Decimal("1000.00")))
    first = raise_alerts(db, refresh_result("R1"), config)
    assert first
    assert raise_alerts(db, refresh_result("R2"), config) == []
    # A new exception over the threshold is the only alert of the next run.
    with duckdb.connect(str(db)) as con:
        con.execute("insert into main.fct_exceptions by name select 'crafted-dup' as "
                    "exception_id, 'DUPLICATE_CHARGE' as exception_type, 'T0001' as "
                    "terminal_id, '000123' as trace_no, date '2026-10-09' as business_date, "
                    "1500.00 as amount, 1500.00 as exposure_amount, 'OPEN' as status")
    third = raise_alerts(db, refresh_result("R3"), config)
    assert [(a.subject, a.run_id) for a in third] == [("crafted-dup", "R3")]
    assert "DUPLICATE_CHARGE on terminal T0001 trace 000123, 2026-10-09" in third[0].message
    counts = fetch_rows(db, "select run_id, count(*) from audit.alerts group by 1 order by 1")
    assert counts == [("R1", len(first)), ("R3", 1)]
    assert fetch_rows(
        db, "select count(distinct alert_id) = count(*) from audit.alerts") == [(True,)]


def test_terminal_out_of_control_day(built: Built, tmp_path: Path) -> None:
    db = copy_build(built, tmp_path).build_db
    # The generated landing zone has no out-of-control day: the crafted one is the only one.
    assert fetch_rows(db, "select count(*) from main.mart_terminal_daily_controls "
                     "where is_out_of_control") == [(0,)]
    day_id, older = fetch_rows(db, "select terminal_day_id, business_date from "
                              "main.mart_terminal_daily_controls where transactions > 0 and "
                              "business_date < (select max(business_date) from "
                              "main.mart_terminal_daily_controls) order by business_date, "
                              "terminal_id limit 1")[0]
    with duckdb.connect(str(db)) as con:
        con.execute("update main.mart_terminal_daily_controls set transactions = 200, "
                    "errors = 18, error_rate = 0.09, center_rate = 0.01, ucl = 0.04, "
                    "is_out_of_control = true where terminal_day_id = ?", [day_id])
    # Only the latest business date is in a 0-day lookback: the crafted day is older.
    recent = replace(OFF, terminal_error_rate=TerminalErrorRateRule(lookback_days=0))
    assert raise_alerts(db, refresh_result("R0"), recent) == []

    config = replace(OFF, terminal_error_rate=TerminalErrorRateRule(severity="critical"))
    alerts = raise_alerts(db, refresh_result("R1"), config)
    assert [(a.subject_type, a.subject, a.severity) for a in alerts] == [
        ("terminal_day", day_id, "critical")]
    alert = alerts[0]
    assert (alert.value, alert.threshold) == (Decimal("0.09"), Decimal("0.04"))
    assert older.isoformat() in alert.message
    assert "error rate 9.00% (18 errors in 200 transactions)" in alert.message
    assert "upper control limit 4.00%" in alert.message
    assert raise_alerts(db, refresh_result("R2"), config) == []


def test_failed_checks_alert_at_or_above_the_configured_severity(tmp_path: Path) -> None:
    checks = [
        CheckResult("marts.fct_exceptions", "exposure_not_negative", CRITICAL, FAILED,
                    "1 of 220 rows unexpected", "exposure_amount >= 0"),
        CheckResult("marts.fct_exceptions", "exposure_not_negative", CRITICAL, FAILED,
                    "-5.00", "exposure_amount >= 0", detail="exception e1 (FEE_MISMATCH)"),
        CheckResult("marts.terminal_daily_controls", "volume_within_baseline", WARNING,
                    FAILED, "2 of 120 rows unexpected", "volume not far below"),
        CheckResult("marts.fct_exceptions", "exception_keys_present", CRITICAL, PASSED,
                    "0", "keys set"),
    ]
    db = tmp_path / "absent.duckdb"  # checks need no database
    critical = raise_alerts(db, refresh_result("R1", "REFUSED", 2, checks),
                            replace(OFF, data_quality=DataQualityRule()))
    assert [(a.rule, a.subject, a.severity, a.value) for a in critical] == [
        ("data_quality", "R1 marts.fct_exceptions.exposure_not_negative", "critical",
         Decimal(2))]
    assert "exception e1 (FEE_MISMATCH)" in critical[0].message
    both = raise_alerts(db, refresh_result("R1", "REFUSED", 2, checks),
                        replace(OFF, data_quality=DataQualityRule(min_severity=WARNING)))
    assert sorted(a.subject for a in both) == [
        "R1 marts.fct_exceptions.exposure_not_negative",
        "R1 marts.terminal_daily_controls.volume_within_baseline"]
    assert not db.exists()


def test_a_feed_problem_alerts_although_warnings_do_not(tmp_path: Path) -> None:
    checks = [
        CheckResult("marts.exception_spikes", "exception_spike", WARNING, FAILED,
                    "is_spike=True", "no exception type above 20 × its trailing median",
                    detail="UNMATCHED_SETTLEMENT on 2026-10-05: 466 exceptions against a "
                           "trailing median of 2"),
        CheckResult("marts.terminal_daily_controls", "volume_within_baseline", WARNING,
                    FAILED, "2 of 120 rows unexpected", "volume not far below"),
    ]
    db = tmp_path / "absent.duckdb"
    alerts = raise_alerts(db, refresh_result("R1", "PUBLISHED_WITH_WARNINGS", 1, checks),
                          replace(OFF, data_quality=DataQualityRule()))
    assert [(a.subject, a.severity) for a in alerts] == [
        ("R1 marts.exception_spikes.exception_spike", "warning")]
    assert "466 exceptions" in alerts[0].message
    # Listed by name: without it, a warning stays below the rule's floor.
    quiet = DataQualityRule(warning_checks=frozenset())
    assert raise_alerts(db, refresh_result("R2", "PUBLISHED_WITH_WARNINGS", 1, checks),
                        replace(OFF, data_quality=quiet)) == []


def test_an_overdue_source_file_alerts_once(built: Built, tmp_path: Path) -> None:
    db = copy_build(built, tmp_path).build_db
    # The generated zone has every file: nothing is overdue.
    assert fetch_rows(db, "select count(*) from main.mart_pending_sources "
                     "where days_overdue > 2") == [(0,)]
    with duckdb.connect(str(db)) as con:
        con.execute("""
            insert into main.mart_pending_sources by name
            select * from (values
                ('p-journal', 'JOURNAL', 'SETTLEMENT_LINE', null, 'M0001', date '2026-10-05',
                 date '2026-10-05', 155, 32246.86, date '2026-10-10', true, date '2026-10-10',
                 5),
                ('p-bank', 'BANK', 'NET_SETTLEMENT', 'UMS', 'M0002', date '2026-10-07',
                 date '2026-10-08', 1, 900.00, date '2026-10-08', false, date '2026-10-10', 2)
            ) as t(pending_id, source, item_kind, acquirer, merchant_id, pending_date,
                   due_date, waiting_items, waiting_amount, covered_through, is_gap,
                   as_of_date, days_overdue)""")
    config = replace(OFF, pending_overdue=PendingOverdueRule())
    alerts = raise_alerts(db, refresh_result("R1"), config)
    assert [(a.rule, a.subject_type, a.subject, a.severity, a.value, a.threshold)
            for a in alerts] == [("pending_overdue", "pending_source", "p-journal", "warning",
                                  Decimal(5), Decimal(2))]
    assert alerts[0].message == (
        "terminal journal of merchant M0001 for 2026-10-05 has not arrived: 155 settlement "
        "line(s) (32,246.86) wait for it, 5 day(s) past due; later days have arrived (a gap "
        "in the feed)")
    assert raise_alerts(db, refresh_result("R2"), config) == []
    # A lower bar takes in the row only 2 days past due, once.
    lower = replace(OFF, pending_overdue=PendingOverdueRule(overdue_days=1, severity="critical"))
    assert [(a.subject, a.severity) for a in raise_alerts(db, refresh_result("R3"), lower)] == [
        ("p-bank", "critical")]


def test_a_refresh_whose_build_failed_still_alerts(generated_landing: Path,
                                                   tmp_path: Path) -> None:
    """Ingest ran, dbt did not build: no marts. The failed run alerts and is stored."""
    warehouse = Warehouse(tmp_path / "wh")
    report = run_ingest(generated_landing, warehouse, "R1")
    assert not fetch_rows(warehouse.build_db, "select * from information_schema.tables where "
                                         "table_name = 'fct_exceptions'")
    result = refresh_result("R1", "REFUSED", 2, report.checks,
                  ["dbt build failed (fct_exceptions): the last snapshot stays published"])
    warnings: list[str] = []
    with hook_server() as server:
        config = replace(AlertsConfig(), webhook=webhook_channel(server.url))
        alerts = raise_alerts(warehouse.build_db, result, config, warn=warnings.append)
    assert warnings == []
    assert [(a.rule, a.subject, a.severity, a.value) for a in alerts] == [
        ("refresh_failed", "R1", "critical", Decimal(2))]
    assert "ended REFUSED (exit 2)" in alerts[0].message
    assert "dbt build failed (fct_exceptions)" in alerts[0].message
    body = json.loads(server.posted[0].body)
    assert (body["run_id"], body["outcome"], body["published"]) == ("R1", "REFUSED", False)
    assert fetch_rows(warehouse.build_db, "select rule, run_outcome, webhook_status from "
                                     "audit.alerts") == [("refresh_failed", "REFUSED", "SENT")]
    # Every failed run alerts: the subject is the run.
    again = raise_alerts(warehouse.build_db, replace(result, run_id="R2"), AlertsConfig())
    assert [a.subject for a in again] == ["R2"]
    # A run that failed before the warehouse existed alerts too, and stores nothing.
    missing = tmp_path / "never" / "build.duckdb"
    assert [a.rule for a in raise_alerts(missing, replace(result, run_id="R3"),
                                         AlertsConfig())] == ["refresh_failed"]
    assert not missing.exists()


def test_the_alerts_view_follows_the_table(built: Built, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from posaudit.pipeline.dbt_runner import run_dbt

    snapshot = (built.warehouse / "snapshots" / (
        (built.warehouse / "CURRENT").read_text().strip() + ".duckdb"))
    with duckdb.connect(str(snapshot), read_only=True) as con:
        has_table = con.execute("select count(*) from information_schema.tables where "
                                "table_schema = 'audit' and table_name = 'alerts'").fetchone()
        stored = (con.execute("select count(*) from audit.alerts").fetchone()
                  if has_table and has_table[0] else (0,))
        assert con.execute("select count(*) from main.fct_alerts").fetchone() == stored

    warehouse = copy_build(built, tmp_path)
    config = replace(OFF, exception_exposure=ExposureRule(),
                     refresh_failed=RefreshFailedRule())
    alerts = raise_alerts(warehouse.build_db, refresh_result("R1", "REFUSED", 2), config)
    monkeypatch.setenv("POSAUDIT_DB_PATH", str(warehouse.build_db))
    outcome = run_dbt(warehouse, ["build", "--select", "stg_audit__alerts+"], quiet=True)
    assert outcome.success, outcome.failures or outcome.error
    # Both models' column checks ran on the new alerts, and passed.
    tests = {str(n["name"]): n["status"] for n in outcome.nodes if n["resource_type"] == "test"}
    assert {"columns_valid_stg_audit__alerts", "columns_valid_fct_alerts"} <= set(tests)
    assert set(tests.values()) == {"pass"}
    rows = fetch_rows(warehouse.build_db,
                      "select alert_id, rule, severity, value from main.fct_alerts")
    assert sorted(rows) == sorted((a.alert_id, a.rule, a.severity, a.value) for a in alerts)
