"""Every mart check passes on the built warehouse and fails, naming what, on a crafted break.

Each test copies the published snapshot, breaks one thing with SQL, and runs the real GX
suite on it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from posaudit.expectations import marts
from posaudit.expectations.config import DQConfig
from posaudit.expectations.core import CRITICAL, WARNING, CheckResult, DQContext
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built
from tests.helpers.rows import one_row, scalar

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dq() -> DQContext:
    return DQContext()


@pytest.fixture
def snapshot_copy(built: Built, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    source = Warehouse.at(built.warehouse).current_snapshot()
    target = tmp_path / "copy.duckdb"
    shutil.copyfile(source, target)
    with duckdb.connect(str(target)) as con:
        yield con


def _failed(results: list[CheckResult], check: str) -> list[CheckResult]:
    return [r for r in results if r.check == check and r.failed]


def _suite(con: duckdb.DuckDBPyConnection, dq: DQContext, name: str,
           params: list[object] | None = None) -> list[CheckResult]:
    return marts._validate(con, dq, DQConfig(), marts.SUITES[name], batch="test",
                           params=params or [])


def test_every_mart_check_passes_on_the_built_warehouse(
        snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    results = marts.run_mart_checks(snapshot_copy, dq, DQConfig())
    failed = [r.describe() for r in results if r.failed]
    assert failed == []
    suites = {r.suite for r in results}
    assert {"marts.row_counts", "marts.fct_exceptions", "marts.mart_reconciliation_daily",
            "marts.reconciliation_ties", "marts.fct_transactions",
            "marts.terminal_daily_controls", "marts.settlement_file_coverage",
            "marts.exception_spikes"} <= suites
    # fct_transactions is validated in batches of consecutive days: here, small, in one.
    days = scalar(
        snapshot_copy,
        "select count(distinct business_date) from fct_transactions")
    batches = {r.batch or "" for r in results if r.suite == "marts.fct_transactions"}
    assert len(batches) == 1 and f"({days} days)" in batches.pop()


def test_transaction_batches_cover_every_day_once_and_stay_bounded(
        snapshot_copy: duckdb.DuckDBPyConnection) -> None:
    days = [d for (d,) in snapshot_copy.execute(
        "select distinct business_date from fct_transactions order by 1").fetchall()]
    per_day = dict(snapshot_copy.execute(
        "select business_date, count(*) from fct_transactions group by 1").fetchall())
    bound = max(per_day.values()) * 3
    batches = marts.day_batches(snapshot_copy, days, rows=bound)
    assert [d for batch in batches for d in batch] == days
    assert len(batches) > 1
    # A batch exceeds the bound only when one day alone does.
    assert all(sum(per_day[d] for d in batch) <= bound for batch in batches)


def test_negative_exposure_is_critical_and_names_the_exception(
        snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    exception_id = scalar(
        snapshot_copy,
        "select exception_id from fct_exceptions order by exception_id limit 1")
    snapshot_copy.execute(
        "update fct_exceptions set exposure_amount = -5, recovered_amount = 0, net_loss = 0 "
        "where exception_id = ?", [exception_id])
    failed = _failed(_suite(snapshot_copy, dq, "marts.fct_exceptions"), "exposure_not_negative")
    assert failed and all(r.severity == CRITICAL for r in failed)
    assert any(exception_id in (r.detail or "") for r in failed)


def test_net_loss_that_does_not_follow_from_exposure_fails(
        snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    snapshot_copy.execute(
        "update fct_exceptions set net_loss = net_loss + 1 where exception_id = "
        "(select min(exception_id) from fct_exceptions)")
    failed = _failed(_suite(snapshot_copy, dq, "marts.fct_exceptions"), "exposure_not_negative")
    assert [r.field for r in failed if r.detail] == ["net_loss"]


def test_exception_without_its_keys_fails(
        snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    row = snapshot_copy.execute(
        "select exception_id from fct_exceptions where exception_type = 'DUPLICATE_CHARGE' "
        "and order_no is null limit 1").fetchone()
    assert row, "the generated data has a card DUPLICATE_CHARGE"
    snapshot_copy.execute("update fct_exceptions set terminal_id = null where exception_id = ?",
                          [row[0]])
    failed = _failed(_suite(snapshot_copy, dq, "marts.fct_exceptions"),
                     "exception_keys_present")
    assert any(r.field == "terminal_id" and row[0] in (r.detail or "") for r in failed)


def test_duplicate_exception_id_fails(
        snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    snapshot_copy.execute(
        "insert into fct_exceptions select * from fct_exceptions order by exception_id limit 1")
    failed = _failed(_suite(snapshot_copy, dq, "marts.fct_exceptions"),
                     "exception_keys_present")
    assert any(r.expected == "exception ids are unique" for r in failed)


def test_deposit_exception_with_a_terminal_fails(
        snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    snapshot_copy.execute(
        "update fct_exceptions set terminal_id = 'T0000001' where exception_id = (select "
        "min(exception_id) from fct_exceptions where exception_type = 'MISSING_DEPOSIT')")
    failed = _failed(_suite(snapshot_copy, dq, "marts.fct_exceptions"),
                     "exception_keys_present")
    assert any("not a terminal" in r.expected for r in failed)


def test_unexplained_residual_breaks_the_reconciliation_identity(
        snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    snapshot_copy.execute(
        "update mart_reconciliation_daily set unexplained_residual = 0.01 where "
        "reconciliation_id = (select min(reconciliation_id) from mart_reconciliation_daily)")
    failed = _failed(_suite(snapshot_copy, dq, "marts.mart_reconciliation_daily"),
                     "reconciliation_identity")
    assert failed and failed[0].severity == CRITICAL
    assert any(r.field == "unexplained_residual" and r.detail for r in failed)


def test_net_not_gross_minus_fee_breaks_the_reconciliation_identity(
        snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    snapshot_copy.execute(
        "update mart_reconciliation_daily set net_amount = net_amount - 1 where "
        "reconciliation_id = (select min(reconciliation_id) from mart_reconciliation_daily "
        "where settlement_lines > 0)")
    failed = _failed(_suite(snapshot_copy, dq, "marts.mart_reconciliation_daily"),
                     "reconciliation_identity")
    assert any(r.field == "net_amount" for r in failed)


def test_a_settlement_line_lost_from_the_mart_breaks_the_ties(
        snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    day = scalar(
        snapshot_copy,
        "select min(settlement_date) from fct_settlement_lines")
    snapshot_copy.execute(
        "delete from fct_settlement_lines where settlement_line_id = (select "
        "min(settlement_line_id) from fct_settlement_lines where settlement_date = ?)", [day])
    failed = _failed(_suite(snapshot_copy, dq, "marts.reconciliation_ties"),
                     "settlement_identity")
    assert any(r.field == "settled_gross" and str(day) in (r.detail or "") for r in failed)


def test_transaction_checks_fail_on_a_broken_day(
        snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    day, line = one_row(
        snapshot_copy,
        "select business_date, journal_line_id from fct_transactions "
        "where match_status = 'MATCHED' order by journal_line_id limit 1")
    snapshot_copy.execute(
        "update fct_transactions set settlement_line_id = null, trace_no = null "
        "where journal_line_id = ?", [line])
    # ...and a line that never settled given a settlement line.
    unsettled = scalar(
        snapshot_copy,
        "select min(journal_line_id) from fct_transactions where business_date = ? "
        "and match_status not in ('MATCHED', 'AMOUNT_MISMATCH', 'SETTLED_NOT_EXPECTED')",
        [day])
    assert unsettled is not None
    snapshot_copy.execute(
        "update fct_transactions set settlement_line_id = 'L-ANY' where journal_line_id = ?",
        [unsettled])
    results = _suite(snapshot_copy, dq, "marts.fct_transactions", [[day]])
    assert any(r.field == "trace_no" for r in _failed(results, "transaction_keys_present"))
    consistent = _failed(results, "match_status_consistent")
    assert {r.expected.split(" (")[0] for r in consistent} == {
        "a settled status", "an unsettled status has no settlement line"}
    other_day = scalar(
        snapshot_copy,
        "select max(business_date) from fct_transactions where business_date <> ?",
        [day])
    assert not any(r.failed for r in _suite(snapshot_copy, dq, "marts.fct_transactions",
                                             [[other_day]]))


def test_shrunk_fact_against_the_previous_snapshot_is_critical(
        built: Built, snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    previous = Warehouse.at(built.warehouse).current_snapshot()
    assert not _failed(marts.row_count_results(snapshot_copy, dq, DQConfig(), previous),
                       "row_count_not_shrunk")
    snapshot_copy.execute(
        "delete from fct_transactions where journal_line_id in (select journal_line_id from "
        "fct_transactions order by journal_line_id limit (select count(*) // 10 from "
        "fct_transactions))")
    failed = _failed(marts.row_count_results(snapshot_copy, dq, DQConfig(), previous),
                     "row_count_not_shrunk")
    assert failed and failed[0].severity == CRITICAL
    assert any("fct_transactions" in (r.detail or "") for r in failed)
    # Within the tolerance it passes: a correction may remove a few lines.
    lenient = DQConfig(row_count_drop_tolerance=0.2)
    assert not _failed(marts.row_count_results(snapshot_copy, dq, lenient, previous),
                       "row_count_not_shrunk")


def test_anomaly_checks_are_warnings_naming_terminal_and_day(
        snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    terminal, day = one_row(
        snapshot_copy,
        "select terminal_id, business_date from mart_terminal_daily_controls "
        "order by business_date desc, terminal_id limit 1")
    snapshot_copy.execute(
        "update mart_terminal_daily_controls set is_volume_drop = true, is_out_of_control = true "
        "where terminal_id = ? and business_date = ?", [terminal, day])
    results = _suite(snapshot_copy, dq, "marts.terminal_daily_controls", [day, day])
    for check in ("volume_within_baseline", "error_rate_in_control"):
        failed = _failed(results, check)
        assert failed and all(r.severity == WARNING for r in failed)
        assert any(terminal in (r.detail or "") and str(day) in (r.detail or "")
                   for r in failed)


def test_missing_settlement_file_is_a_warning(
        snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    acquirer, day = one_row(
        snapshot_copy,
        "select acquirer, settlement_date from mart_settlement_file_coverage "
        "order by settlement_date, acquirer limit 1")
    snapshot_copy.execute(
        "update mart_settlement_file_coverage set is_missing_file = true "
        "where acquirer = ? and settlement_date = ?", [acquirer, day])
    failed = _failed(_suite(snapshot_copy, dq, "marts.settlement_file_coverage", [day, day]),
                     "settlement_file_present")
    assert failed and all(r.severity == WARNING for r in failed)
    assert any(acquirer in (r.detail or "") for r in failed)


def _spike(con: duckdb.DuckDBPyConnection, dq: DQContext, config: DQConfig,
           day: object) -> list[CheckResult]:
    return _failed(marts._validate(con, dq, config, marts._spike_suite(config), batch="test",
                                   params=[day, day]), "exception_spike")


def test_an_exception_type_jumping_on_one_day_is_a_warning_with_the_count(
        snapshot_copy: duckdb.DuckDBPyConnection, dq: DQContext) -> None:
    day = scalar(snapshot_copy, "select max(business_date) from fct_exceptions")
    # The generated data's daily counts are far below the bar: nothing flagged as it is.
    assert _spike(snapshot_copy, dq, DQConfig(), day) == []
    # A feed problem: 100 more UNMATCHED_SETTLEMENT on that day (above 50 and far above 20×
    # the median of a handful a day).
    snapshot_copy.execute("""
        insert into fct_exceptions by name
        select md5('spike' || i) as exception_id, 'UNMATCHED_SETTLEMENT' as exception_type,
               'M-SPIKE' as merchant_id, ?::date as business_date, 1.00 as amount,
               1.00 as exposure_amount, 'OPEN' as status
        from range(100) as t(i)""", [day])
    total = scalar(
        snapshot_copy,
        "select count(*) from fct_exceptions where exception_type = 'UNMATCHED_SETTLEMENT' "
        "and business_date = ?", [day])
    failed = _spike(snapshot_copy, dq, DQConfig(), day)
    assert failed and all(r.severity == WARNING for r in failed)
    listed = [r for r in failed if r.detail]
    assert len(listed) == 1
    assert (listed[0].detail or "").startswith(f"UNMATCHED_SETTLEMENT on {day}: {total} exceptions")
    # The thresholds are policy: a higher floor lets the same day pass.
    assert _spike(snapshot_copy, dq, replace(DQConfig(), spike_min_exceptions=total), day) == []


def test_spike_thresholds_come_from_the_policy_file(tmp_path: Path) -> None:
    policy = tmp_path / "dq.yml"
    policy.write_text("marts:\n  exception_spike: {ratio: 5, min_exceptions: 10, "
                      "trailing_days: 14}\n", encoding="utf-8")
    config = DQConfig.load(policy)
    assert (config.spike_ratio, config.spike_min_exceptions, config.spike_trailing_days,
            config.spike_min_history_days) == (5.0, 10, 14, 3)
    assert config.marts_severity("exception_spike") == WARNING
    policy.write_text("marts:\n  exception_spike: {trailing_days: 0}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"exception_spike\.trailing_days"):
        DQConfig.load(policy)


def test_severity_follows_the_policy_file(tmp_path: Path) -> None:
    policy = tmp_path / "dq.yml"
    policy.write_text("marts:\n  critical: [settlement_file_present]\n", encoding="utf-8")
    config = DQConfig.load(policy)
    assert config.marts_severity("settlement_file_present") == CRITICAL
    assert config.marts_severity("exposure_not_negative") == WARNING
    bad = tmp_path / "bad.yml"
    bad.write_text("marts: [1, 2]\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.yml"):
        DQConfig.load(bad)
