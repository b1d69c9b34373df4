"""mart_terminal_daily_controls and mart_settlement_file_coverage on a real refreshed warehouse:
the date spine, the p-chart limits, the flags against their documented definitions, and a
statement file taken out of the landing zone showing up as exactly one missing file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built, run_cli
from tests.helpers.paths import ROOT

VARS: dict[str, Any] = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]


def query(snapshot: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def scalar(snapshot: Path, sql: str, params: list[Any] | None = None) -> Any:
    return query(snapshot, sql, params)[0][0]


@pytest.fixture(scope="module")
def snapshot(built: Built) -> Path:
    return Warehouse.at(built.warehouse).current_snapshot()


def test_spine_has_one_row_per_day_without_gaps(snapshot: Path) -> None:
    rows = query(snapshot, """
        select merchant_id, terminal_id, count(*), count(distinct business_date),
               date_diff('day', min(business_date), max(business_date)) + 1
        from main.mart_terminal_daily_controls
        group by merchant_id, terminal_id
    """)
    assert rows, "no terminal-days"
    for merchant, terminal, n, distinct_days, span in rows:
        assert n == distinct_days == span, (merchant, terminal, n, distinct_days, span)


def test_spine_starts_and_ends_on_active_days(snapshot: Path) -> None:
    bad = scalar(snapshot, """
        with ends as (
            select merchant_id, terminal_id, min(business_date) as first_day,
                   max(business_date) as last_day
            from main.mart_terminal_daily_controls group by all
        )
        select count(*) from main.mart_terminal_daily_controls as c
        join ends using (merchant_id, terminal_id)
        where c.business_date in (ends.first_day, ends.last_day) and c.transactions = 0
    """)
    assert bad == 0


def test_volumes_tie_to_mart_error_rates(snapshot: Path) -> None:
    rates = """
        select merchant_id, terminal_id, business_date, sum(transactions) as transactions,
               sum(declines_network_or_timeout + declines_merchant_terminal_config
                   + declines_terminal_key_session) as errors
        from main.mart_error_rates where transactions > 0 group by all
    """
    unmatched = scalar(snapshot, f"""
        select count(*) from ({rates}) as r
        left join main.mart_terminal_daily_controls as c
            using (merchant_id, terminal_id, business_date)
        where c.terminal_day_id is null or c.transactions <> r.transactions
           or c.errors <> r.errors
    """)
    filled_days_with_volume = scalar(snapshot, f"""
        select count(*) from main.mart_terminal_daily_controls as c
        anti join ({rates}) as r using (merchant_id, terminal_id, business_date)
        where c.transactions <> 0 or c.errors <> 0
    """)
    assert (unmatched, filled_days_with_volume) == (0, 0)


def test_center_rate_pools_the_previous_days(snapshot: Path) -> None:
    """Re-derive history and center with a self-join instead of window functions."""
    days = int(VARS["control_history_days"])
    mismatches = scalar(snapshot, f"""
        with h as (
            select c.terminal_day_id,
                   count(p.terminal_day_id) filter (where p.transactions > 0) as history_days,
                   coalesce(sum(p.transactions), 0) as history_transactions,
                   coalesce(sum(p.errors), 0) as history_errors
            from main.mart_terminal_daily_controls as c
            left join main.mart_terminal_daily_controls as p
                on p.merchant_id = c.merchant_id and p.terminal_id = c.terminal_id
                and p.business_date between c.business_date - {days} and c.business_date - 1
            group by c.terminal_day_id
        )
        select count(*) from main.mart_terminal_daily_controls as c join h using (terminal_day_id)
        where c.history_days <> h.history_days
           or c.history_transactions <> h.history_transactions
           or c.history_errors <> h.history_errors
           or c.center_rate is distinct from
              round(h.history_errors / nullif(h.history_transactions, 0), 6)
    """)
    assert mismatches == 0


def test_limits_are_ordered_and_bounded(snapshot: Path) -> None:
    counts = query(snapshot, """
        select count(*) filter (where ucl is not null),
               count(*) filter (where ucl is not null and not (
                   0 <= lcl and lcl <= center_rate and center_rate <= ucl and ucl <= 1)),
               count(*) filter (where (ucl is null) <> (center_rate is null or transactions = 0)),
               count(*) filter (where (error_rate is null) <> (transactions = 0))
        from main.mart_terminal_daily_controls
    """)[0]
    with_limits, disordered, limits_without_basis, bad_rates = counts
    assert with_limits > 0
    assert (disordered, limits_without_basis, bad_rates) == (0, 0, 0)


def test_flags_follow_their_definitions(snapshot: Path) -> None:
    ooc, drop = query(snapshot, """
        select
            count(*) filter (where is_out_of_control <> coalesce(
                history_days >= ? and errors >= ? and error_rate > ucl, false)),
            count(*) filter (where is_volume_drop <> coalesce(
                weekday_baseline >= ? and volume_ratio < ?, false))
        from main.mart_terminal_daily_controls
    """, [VARS["control_min_history_days"], VARS["control_min_errors"],
          VARS["volume_min_baseline"], VARS["volume_drop_ratio"]])[0]
    assert (ooc, drop) == (0, 0)
    bad_weekday = scalar(snapshot, """
        select count(*) from main.mart_terminal_daily_controls
        where weekday <> isodow(business_date)
    """)
    assert bad_weekday == 0


def test_generated_data_is_mostly_in_control(snapshot: Path) -> None:
    total, ooc, drops = query(snapshot, """
        select count(*), count(*) filter (where is_out_of_control),
               count(*) filter (where is_volume_drop)
        from main.mart_terminal_daily_controls
    """)[0]
    assert ooc <= max(2, total // 50)
    assert drops <= max(2, total // 50)


def test_coverage_flags_follow_their_definitions(snapshot: Path) -> None:
    grace = int(VARS["settlement_grace_days"])
    counts = query(snapshot, f"""
        select count(*),
               count(*) filter (where is_due <> coalesce(
                   settlement_date + {grace} <= covered_through, false)),
               count(*) filter (where is_missing_file <> (is_due and settlement_files = 0)),
               count(*) filter (where is_missing_file)
        from main.mart_settlement_file_coverage
    """)[0]
    rows, bad_due, bad_missing, missing = counts
    assert rows > 0
    assert (bad_due, bad_missing) == (0, 0)
    assert missing == 0  # the generator delivers every statement


def test_removed_statement_is_exactly_one_missing_file(snapshot: Path, landing_copy: Path,
                                                       tmp_path: Path) -> None:
    # An acquirer statement of one merchant number and day, with files on the days either
    # side, that was delivered only once (no duplicate copy to stand in for it).
    acquirer, merchant, day, file_name = query(snapshot, """
        with statement_days as (
            select l.acquirer, l.merchant_id, l.settlement_date, l.file_id,
                   count(distinct l.file_id) over (
                       partition by l.acquirer, l.merchant_id, l.settlement_date) as files
            from main.fct_settlement_lines as l
            where l.source_layout = 'cn_pos_statement'
        )
        select distinct c.acquirer, c.merchant_id, c.settlement_date, m.file_name
        from main.mart_settlement_file_coverage as c
        join statement_days as s using (acquirer, merchant_id, settlement_date)
        join main.fct_file_manifest as m on m.file_id = s.file_id
        where c.is_due and s.files = 1
          and not exists (select 1 from main.fct_file_manifest as d
                          where d.duplicate_of = s.file_id)
          and exists (select 1 from statement_days as b
                      where b.acquirer = c.acquirer and b.merchant_id = c.merchant_id
                        and b.settlement_date = c.settlement_date - 1)
          and exists (select 1 from statement_days as a
                      where a.acquirer = c.acquirer and a.merchant_id = c.merchant_id
                        and a.settlement_date = c.settlement_date + 1)
        order by c.settlement_date, c.acquirer, c.merchant_id
        limit 1
    """)[0]
    (landing_copy / file_name).unlink()

    warehouse = tmp_path / "wh"
    run_cli("refresh", "--landing", str(landing_copy), "--warehouse", str(warehouse),
            check=True)
    after = Warehouse.at(warehouse).current_snapshot()
    missing = query(after, """
        select acquirer, merchant_id, settlement_date, settlement_files
        from main.mart_settlement_file_coverage where is_missing_file
    """)
    assert missing == [(acquirer, merchant, day, 0)], (file_name, missing)
