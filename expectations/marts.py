"""Checks on the marts after ``dbt build``: what must hold before a snapshot is published.

DuckDB computes each batch (a small mart, or one business day of a large fact) into pandas and
GX validates it. Critical checks guard the numbers auditors sign off on (keys, exposure, the
reconciliation identities, nothing lost since the last snapshot); warnings flag anomalies in
the data itself (error rates outside a terminal's control limits, a terminal's volume far
below its weekday baseline, an acquirer day without a settlement file, a day on which one
exception type jumps far above its own trailing baseline — a feed problem, not a run of real
errors) on the days this run brought in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import great_expectations.expectations as gxe
import pandas as pd

from posaudit.expectations.config import DQConfig
from posaudit.expectations.core import FAILED, Check, CheckResult, DQContext, Validation

DEPOSIT_TYPES = ("DEPOSIT_MISMATCH", "MISSING_DEPOSIT")
WALLET_CHANNELS = ("QR_WECHAT", "QR_ALIPAY")
MATCH_STATUSES = ("MATCHED", "AMOUNT_MISMATCH", "SETTLED_NOT_EXPECTED", "PENDING", "MISSING",
                  "NOT_EXPECTED")
SETTLED_STATUSES = ("MATCHED", "AMOUNT_MISMATCH", "SETTLED_NOT_EXPECTED")
# fct_transactions is validated in batches of consecutive business days of about this many
# rows (a 10-million-transaction warehouse in about ten).
BATCH_ROWS = 1_000_000
# Failing rows listed one by one per check; the rest are counted.
LISTED_PER_CHECK = 50
# Anomaly checks look at the days a run brought in, widened so that a day whose neighbours
# just arrived (a missing statement becomes due) is looked at too; a run that brings in no day
# looks at the days the run before it looked at (posaudit.pipeline.refresh), so that the same data
# always gets the same warnings.
ANOMALY_MARGIN_DAYS = 3


def _quote(values: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


@dataclass(frozen=True)
class MartSuite:
    """One GX suite over one DuckDB query; ``describe`` names a failing row for people."""

    suite: str
    sql: str
    checks: Callable[[DQConfig], list[Check]]
    index_columns: tuple[str, ...]
    describe: Callable[[dict[str, Any]], str]


def _c(config: DQConfig, name: str, expectation: Any, expected: str,
       field: str | None = None) -> Check:
    return Check(name, config.marts_severity(name), expectation, expected, field)


# --- fct_exceptions -----------------------------------------------------------------------

_EXCEPTIONS_SQL = """
select exception_id, exception_type, merchant_id, terminal_id, trace_no, order_no, channel,
       business_date, root_cause, status,
       round(exposure_amount * 100)::bigint as exposure_fen,
       round(recovered_amount * 100)::bigint as recovered_fen,
       round(net_loss * 100)::bigint as net_loss_fen,
       round(greatest(exposure_amount - recovered_amount, 0) * 100)::bigint as expected_net_loss_fen
from main.fct_exceptions
"""


def _exception_checks(config: DQConfig) -> list[Check]:
    txn_level = f"exception_type not in {_quote(DEPOSIT_TYPES)}"
    keys = "exception_keys_present"
    return [
        _c(config, keys, gxe.ExpectColumnValuesToNotBeNull(column="exception_id"),
           "every exception has an id", "exception_id"),
        _c(config, keys, gxe.ExpectColumnValuesToBeUnique(column="exception_id"),
           "exception ids are unique", "exception_id"),
        *(
            _c(config, keys, gxe.ExpectColumnValuesToNotBeNull(column=col), f"{col} is set", col)
            for col in ("exception_type", "merchant_id", "business_date", "root_cause", "status")
        ),
        _c(config, keys, gxe.ExpectColumnValuesToNotBeNull(
            column="terminal_id", row_condition=f"{txn_level} and order_no.isnull()",
            condition_parser="pandas"),
           "a transaction-level exception carries terminal_id or order_no", "terminal_id"),
        _c(config, keys, gxe.ExpectColumnValuesToNotBeNull(
            column="order_no", row_condition=f"channel in {_quote(WALLET_CHANNELS)}",
            condition_parser="pandas"),
           "a wallet exception carries order_no", "order_no"),
        _c(config, keys, gxe.ExpectColumnValuesToBeNull(
            column="terminal_id", row_condition=f"exception_type in {_quote(DEPOSIT_TYPES)}",
            condition_parser="pandas"),
           "a deposit exception names the merchant, not a terminal", "terminal_id"),
        _c(config, "exposure_not_negative",
           gxe.ExpectColumnValuesToBeBetween(column="exposure_fen", min_value=0),
           "exposure_amount >= 0", "exposure_amount"),
        _c(config, "exposure_not_negative",
           gxe.ExpectColumnValuesToBeBetween(column="recovered_fen", min_value=0),
           "recovered_amount >= 0", "recovered_amount"),
        _c(config, "exposure_not_negative", gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="exposure_fen", column_B="recovered_fen", or_equal=True,
            ignore_row_if="neither"),
           "recovered_amount <= exposure_amount", "recovered_amount"),
        _c(config, "exposure_not_negative", gxe.ExpectColumnPairValuesToBeEqual(
            column_A="net_loss_fen", column_B="expected_net_loss_fen", ignore_row_if="neither"),
           "net_loss = max(exposure_amount - recovered_amount, 0)", "net_loss"),
    ]


# --- mart_reconciliation_daily --------------------------------------------------------------

_RECON_SQL = """
select settlement_date, acquirer, merchant_id,
       round(unexplained_residual * 100)::bigint as residual_fen,
       round(net_amount * 100)::bigint as net_fen,
       round((settled_gross - fee_amount) * 100)::bigint as gross_minus_fee_fen
from main.mart_reconciliation_daily
"""


def _recon_checks(config: DQConfig) -> list[Check]:
    name = "reconciliation_identity"
    return [
        _c(config, name, gxe.ExpectColumnValuesToBeBetween(
            column="residual_fen", min_value=0, max_value=0),
           "unexplained_residual = 0: every difference between terminal and settlement is "
           "explained", "unexplained_residual"),
        _c(config, name, gxe.ExpectColumnPairValuesToBeEqual(
            column_A="net_fen", column_B="gross_minus_fee_fen", ignore_row_if="neither"),
           "net_amount = settled_gross - fee_amount", "net_amount"),
    ]


# The mart's per-day totals against the facts they come from (computed independently).
_TIES_SQL = """
with mart as (
    select settlement_date,
           sum(settled_gross) as mart_gross, sum(fee_amount) as mart_fee,
           sum(terminal_total) as mart_terminal
    from main.mart_reconciliation_daily group by all
),
lines as (
    select settlement_date, sum(gross_amount) as lines_gross, sum(fee_amount) as lines_fee
    from main.fct_settlement_lines group by all
),
txns as (
    select expected_settlement_date as settlement_date,
           sum(case when txn_type = 'REFUND' then -amount else amount end) as txn_total
    from main.fct_transactions where is_expected_in_settlement group by all
)
select coalesce(m.settlement_date, l.settlement_date, t.settlement_date) as settlement_date,
       round(coalesce(m.mart_gross, 0) * 100)::bigint as mart_gross_fen,
       round(coalesce(l.lines_gross, 0) * 100)::bigint as lines_gross_fen,
       round(coalesce(m.mart_fee, 0) * 100)::bigint as mart_fee_fen,
       round(coalesce(l.lines_fee, 0) * 100)::bigint as lines_fee_fen,
       round(coalesce(m.mart_terminal, 0) * 100)::bigint as mart_terminal_fen,
       round(coalesce(t.txn_total, 0) * 100)::bigint as txn_total_fen
from mart as m
full join lines as l using (settlement_date)
full join txns as t using (settlement_date)
"""


def _ties_checks(config: DQConfig) -> list[Check]:
    name = "settlement_identity"
    pair = gxe.ExpectColumnPairValuesToBeEqual
    return [
        _c(config, name, pair(column_A="mart_gross_fen", column_B="lines_gross_fen",
                              ignore_row_if="neither"),
           "per day, reconciliation settled_gross = fct_settlement_lines gross", "settled_gross"),
        _c(config, name, pair(column_A="mart_fee_fen", column_B="lines_fee_fen",
                              ignore_row_if="neither"),
           "per day, reconciliation fee_amount = fct_settlement_lines fees", "fee_amount"),
        _c(config, name, pair(column_A="mart_terminal_fen", column_B="txn_total_fen",
                              ignore_row_if="neither"),
           "per day, reconciliation terminal_total = expected fct_transactions", "terminal_total"),
    ]


# --- fct_transactions, in batches of business days ----------------------------------------------

# Whether a status and its settlement line disagree is computed here, per row: GX would filter
# the whole batch for each conditioned check (a row_condition), two thirds of its time on a
# million rows. The checks still name each row whose status and line disagree.
_SETTLED_SQL = ", ".join(f"'{status}'" for status in SETTLED_STATUSES)
_TXN_SQL = f"""
select journal_line_id, terminal_id, trace_no, business_date, match_status,
       settlement_line_id, amount::double as amount, file_id, line_no,
       coalesce(match_status in ({_SETTLED_SQL}), false)
           and settlement_line_id is null as settled_without_line,
       not coalesce(match_status in ({_SETTLED_SQL}), false)
           and settlement_line_id is not null as unsettled_with_line
from main.fct_transactions where business_date in (select unnest(?::date[]))
"""


def _txn_checks(config: DQConfig) -> list[Check]:
    keys = "transaction_keys_present"
    status = "match_status_consistent"
    return [
        *(
            _c(config, keys, gxe.ExpectColumnValuesToNotBeNull(column=col), f"{col} is set", col)
            for col in ("journal_line_id", "terminal_id", "trace_no", "business_date")
        ),
        _c(config, keys, gxe.ExpectColumnValuesToBeUnique(column="journal_line_id"),
           "one row per journal line", "journal_line_id"),
        _c(config, status, gxe.ExpectColumnValuesToBeInSet(
            column="match_status", value_set=list(MATCH_STATUSES)),
           f"match_status in {', '.join(MATCH_STATUSES)}", "match_status"),
        _c(config, status, gxe.ExpectColumnValuesToBeInSet(
            column="settled_without_line", value_set=[False]),
           f"a settled status ({', '.join(SETTLED_STATUSES)}) has its settlement line",
           "settlement_line_id"),
        _c(config, status, gxe.ExpectColumnValuesToBeInSet(
            column="unsettled_with_line", value_set=[False]),
           "an unsettled status has no settlement line", "settlement_line_id"),
        _c(config, "amount_positive", gxe.ExpectColumnValuesToBeBetween(
            column="amount", min_value=0, strict_min=True),
           "amount > 0 (refunds are signed by txn_type)", "amount"),
    ]


# --- anomalies (warnings) ---------------------------------------------------------------------

_CONTROLS_SQL = """
select terminal_id, business_date, transactions, errors, error_rate, center_rate, ucl,
       is_out_of_control, weekday_baseline, volume_ratio, is_volume_drop
from main.mart_terminal_daily_controls
where business_date between ? and ?
"""


def _controls_checks(config: DQConfig) -> list[Check]:
    return [
        _c(config, "error_rate_in_control", gxe.ExpectColumnValuesToBeInSet(
            column="is_out_of_control", value_set=[False]),
           "each terminal-day's error rate within its p-chart limits (center ± k·σ from its "
           "own history)", "error_rate"),
        _c(config, "volume_within_baseline", gxe.ExpectColumnValuesToBeInSet(
            column="is_volume_drop", value_set=[False]),
           "each terminal-day's volume not far below its weekday baseline", "transactions"),
    ]


_COVERAGE_SQL = """
select acquirer, merchant_id, settlement_date, expected_transactions,
       expected_amount::double as expected_amount, is_missing_file
from main.mart_settlement_file_coverage
where settlement_date between ? and ?
"""


def _coverage_checks(config: DQConfig) -> list[Check]:
    return [
        _c(config, "settlement_file_present", gxe.ExpectColumnValuesToBeInSet(
            column="is_missing_file", value_set=[False]),
           "every acquirer day with expected settlement has a settlement file", "acquirer"),
    ]


# A feed problem (a journal that loaded with the wrong terminal numbers, a settlement file of
# another merchant) shows as one exception type jumping on one day; compared with the type's
# own trailing median, days without any count as 0.
_SPIKE_SQL = """
with counts as (
    select exception_type, business_date, count(*) as exceptions
    from main.fct_exceptions
    where business_date is not null
    group by all
),
days as (
    select cast(unnest(generate_series(min(business_date), max(business_date), interval 1 day))
                as date) as business_date
    from counts
),
grid as (
    select t.exception_type, d.business_date, coalesce(c.exceptions, 0) as exceptions
    from (select distinct exception_type from counts) as t
    cross join days as d
    left join counts as c using (exception_type, business_date)
),
history as (
    select exception_type, business_date, exceptions,
           median(exceptions) over w as baseline_median,
           count(*) over w as history_days
    from grid
    window w as (partition by exception_type order by business_date
                 rows between {trailing_days} preceding and 1 preceding)
)
select exception_type, business_date, exceptions,
       coalesce(baseline_median, 0)::double as baseline_median, history_days,
       history_days >= {min_history_days}
           and exceptions > {ratio} * coalesce(baseline_median, 0)
           and exceptions > {min_exceptions} as is_spike
from history
where business_date between ? and ?
"""


def _spike_suite(config: DQConfig) -> MartSuite:
    ratio, floor = config.spike_ratio, config.spike_min_exceptions
    return MartSuite(
        "marts.exception_spikes",
        _SPIKE_SQL.format(trailing_days=int(config.spike_trailing_days),
                          min_history_days=int(config.spike_min_history_days),
                          ratio=float(ratio), min_exceptions=int(floor)),
        lambda c: [_c(c, "exception_spike", gxe.ExpectColumnValuesToBeInSet(
            column="is_spike", value_set=[False]),
            f"no exception type above {ratio:g} × its trailing median (previous "
            f"{config.spike_trailing_days} days) and above {floor} on one day",
            "exception_type")],
        ("exception_type", "business_date", "exceptions", "baseline_median", "history_days"),
        lambda r: (f"{r.get('exception_type')} on {_fmt(r.get('business_date'))}: "
                   f"{_fmt(r.get('exceptions'))} exceptions against a trailing median of "
                   f"{_fmt(r.get('baseline_median'))} — look for a feed problem (a missing, "
                   "late or misread file) before working them as cases"),
    )


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)[:10] if hasattr(value, "isoformat") else str(value)


SUITES: dict[str, MartSuite] = {
    s.suite: s for s in (
        MartSuite("marts.fct_exceptions", _EXCEPTIONS_SQL, _exception_checks,
                  ("exception_id", "exception_type"),
                  lambda r: f"exception {r.get('exception_id')} ({r.get('exception_type')})"),
        MartSuite("marts.mart_reconciliation_daily", _RECON_SQL, _recon_checks,
                  ("settlement_date", "acquirer", "merchant_id"),
                  lambda r: f"{r.get('acquirer')} merchant {r.get('merchant_id')} on "
                            f"{_fmt(r.get('settlement_date'))}"),
        MartSuite("marts.reconciliation_ties", _TIES_SQL, _ties_checks, ("settlement_date",),
                  lambda r: f"settlement date {_fmt(r.get('settlement_date'))}"),
        MartSuite("marts.fct_transactions", _TXN_SQL, _txn_checks,
                  ("journal_line_id", "terminal_id", "trace_no"),
                  lambda r: f"terminal {r.get('terminal_id')} trace {r.get('trace_no')}"),
        MartSuite("marts.terminal_daily_controls", _CONTROLS_SQL, _controls_checks,
                  ("terminal_id", "business_date", "transactions", "error_rate", "ucl",
                   "volume_ratio", "weekday_baseline"),
                  lambda r: (
                      f"terminal {r.get('terminal_id')} on {_fmt(r.get('business_date'))}: "
                      f"{_fmt(r.get('transactions'))} transactions (weekday baseline "
                      f"{_fmt(r.get('weekday_baseline'))}), error rate "
                      f"{_fmt(r.get('error_rate'))} (ucl {_fmt(r.get('ucl'))})")),
        MartSuite("marts.settlement_file_coverage", _COVERAGE_SQL, _coverage_checks,
                  ("acquirer", "merchant_id", "settlement_date", "expected_transactions"),
                  lambda r: (
                      f"{r.get('acquirer')} merchant {r.get('merchant_id')} on "
                      f"{_fmt(r.get('settlement_date'))}: no settlement file for "
                      f"{r.get('expected_transactions')} expected transactions")),
    )
}


# --- running ---------------------------------------------------------------------------------


def _results(validation: Validation, suite: MartSuite) -> list[CheckResult]:
    """A summary row per check, then one row per failing item (up to LISTED_PER_CHECK)."""
    out = validation.summary_results()
    for outcome in validation.outcomes:
        if outcome.success or outcome.error:
            continue
        rows = outcome.failing_rows
        for row in rows[:LISTED_PER_CHECK]:
            out.append(CheckResult(
                validation.suite, outcome.check.name, outcome.check.severity, FAILED,
                observed=", ".join(f"{k}={_fmt(v)}" for k, v in row.items()
                                   if k not in suite.index_columns) or "failed",
                expected=outcome.check.expected, batch=validation.batch,
                field=outcome.check.field, detail=suite.describe(row),
            ))
        hidden = outcome.unexpected_count - min(len(rows), LISTED_PER_CHECK)
        if hidden > 0:
            out.append(CheckResult(
                validation.suite, outcome.check.name, outcome.check.severity, FAILED,
                observed=f"{hidden} more", expected=outcome.check.expected,
                batch=validation.batch, field=outcome.check.field,
                detail=f"{hidden} more failing rows not listed",
            ))
    return out


def _frame(con: duckdb.DuckDBPyConnection, suite: MartSuite,
           params: Sequence[Any] = ()) -> pd.DataFrame:
    """The suite's batch, computed by DuckDB on a cursor of its own (safe from another thread)."""
    return con.cursor().execute(suite.sql, list(params)).df()


def _check(dq: DQContext, config: DQConfig, suite: MartSuite, frame: pd.DataFrame,
           batch: str) -> list[CheckResult]:
    validation = dq.validate(suite.suite, suite.checks(config), frame, batch=batch,
                             index_columns=suite.index_columns)
    return _results(validation, suite)


def _validate(con: duckdb.DuckDBPyConnection, dq: DQContext, config: DQConfig,
              suite: MartSuite, batch: str, params: Sequence[Any] = ()) -> list[CheckResult]:
    return _check(dq, config, suite, _frame(con, suite, params), batch)


def row_count_results(con: duckdb.DuckDBPyConnection, dq: DQContext, config: DQConfig,
                      previous: Path | None) -> list[CheckResult]:
    """Each compared fact against the published snapshot: it may not shrink beyond the
    tolerance (a correction may remove a few lines; losing more means something went wrong)."""
    now = {t: _count(con, t) for t in config.facts_compared}
    before: dict[str, int | None] = dict.fromkeys(config.facts_compared)
    if previous is not None and previous.exists():
        with duckdb.connect(str(previous), read_only=True) as old:
            before = {t: _count(old, t) for t in config.facts_compared}
    tolerance = config.row_count_drop_tolerance
    floor: list[int | None] = []
    for t in now:
        prior = before[t]
        floor.append(None if prior is None else math.floor(prior * (1 - tolerance)))
    frame = pd.DataFrame({
        "table_name": list(now),
        "rows_now": pd.Series([now[t] for t in now], dtype="Int64"),
        "rows_before": pd.Series([before[t] for t in now], dtype="Int64"),
        "rows_floor": pd.Series(floor, dtype="Int64"),
    })
    suite = MartSuite(
        "marts.row_counts", "", lambda c: [_c(
            c, "row_count_not_shrunk", gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="rows_now", column_B="rows_floor", or_equal=True,
                ignore_row_if="either_value_is_missing"),
            f"rows_now >= rows in the previous snapshot × (1 − {tolerance:g})", "rows")],
        ("table_name", "rows_before", "rows_now"),
        lambda r: f"{r.get('table_name')}: {r.get('rows_before')} rows before, "
                  f"{r.get('rows_now')} now",
    )
    batch = f"against snapshot {previous.stem}" if previous else "no previous snapshot"
    validation = dq.validate(suite.suite, suite.checks(config), frame, batch=batch,
                             index_columns=suite.index_columns)
    return _results(validation, suite)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int | None:
    try:
        row = con.cursor().execute(f"select count(*) from main.{table}").fetchone()
    except duckdb.CatalogException:
        return None
    return int(row[0]) if row else None


Span = tuple[date, date]


def day_batches(con: duckdb.DuckDBPyConnection, days: list[date],
                rows: int = BATCH_ROWS) -> list[list[date]]:
    """``days`` in order, cut into batches of about ``rows`` transactions: GX costs tens of
    milliseconds per expectation and batch whatever its size, and a batch is held in memory
    as a pandas frame."""
    if not days:
        return []
    counts = dict(con.cursor().execute(
        "select business_date, count(*) from main.fct_transactions "
        "where business_date in (select unnest(?::date[])) group by 1", [days]).fetchall())
    batches: list[list[date]] = [[]]
    held = 0
    for day in days:
        if batches[-1] and held + counts.get(day, 0) > rows:
            batches.append([])
            held = 0
        batches[-1].append(day)
        held += counts.get(day, 0)
    return batches


def run_dates(con: duckdb.DuckDBPyConnection, loaded_after: str | None) -> list[date]:
    """Business dates of the transactions in the files loaded after run ``loaded_after`` (run
    ids sort by time; every date when None)."""
    cur = con.cursor()
    if loaded_after is None:
        rows = cur.execute(
            "select distinct business_date from main.fct_transactions order by 1").fetchall()
    else:
        rows = cur.execute(
            "select distinct t.business_date from main.fct_transactions as t "
            "join raw.file_manifest as m on m.file_id = t.file_id "
            "where m.run_id > ? and m.status = 'LOADED' order by 1", [loaded_after]).fetchall()
    return [r[0] for r in rows if r[0] is not None]


def settlement_run_dates(con: duckdb.DuckDBPyConnection, loaded_after: str | None) -> list[date]:
    cur = con.cursor()
    sql = "select distinct l.settlement_date from main.fct_settlement_lines as l"
    params: list[Any] = []
    if loaded_after is not None:
        sql += (" join raw.file_manifest as m on m.file_id = l.file_id "
                "where m.run_id > ? and m.status = 'LOADED'")
        params = [loaded_after]
    return [r[0] for r in cur.execute(sql, params).fetchall() if r[0] is not None]


def anomaly_span(con: duckdb.DuckDBPyConnection, loaded_after: str | None) -> Span | None:
    """The days the anomaly checks look at: those the files loaded after ``loaded_after``
    bring in, widened by ANOMALY_MARGIN_DAYS; None when they bring in none."""
    touched = run_dates(con, loaded_after) + settlement_run_dates(con, loaded_after)
    if not touched:
        return None
    margin = timedelta(days=ANOMALY_MARGIN_DAYS)
    return min(touched) - margin, max(touched) + margin


def run_mart_checks(con: duckdb.DuckDBPyConnection, dq: DQContext, config: DQConfig, *,
                    loaded_after: str | None = None, span: Span | None = None,
                    previous: Path | None = None,
                    progress: Callable[[str], None] | None = None) -> list[CheckResult]:
    """Every mart check. Small marts whole; fct_transactions in batches of business days
    (``day_batches``), on the days of the files loaded after run ``loaded_after`` (None: every
    day); the anomaly checks over ``span`` (default: the span those days reach; none when they
    reach none)."""
    say = progress or (lambda _m: None)
    results = row_count_results(con, dq, config, previous)
    for name in ("marts.fct_exceptions", "marts.mart_reconciliation_daily",
                 "marts.reconciliation_ties"):
        results += _validate(con, dq, config, SUITES[name], batch="whole table")
    days = run_dates(con, loaded_after)
    done = 0
    txn_suite = SUITES["marts.fct_transactions"]
    batches = day_batches(con, days)
    # The next batch is computed by DuckDB (which releases the GIL) while GX checks this one.
    with ThreadPoolExecutor(max_workers=1) as prefetch:
        upcoming = prefetch.submit(_frame, con, txn_suite, [batches[0]]) if batches else None
        for i, batch in enumerate(batches):
            assert upcoming is not None  # submitted for every batch before its turn
            frame = upcoming.result()
            upcoming = (prefetch.submit(_frame, con, txn_suite, [batches[i + 1]])
                        if i + 1 < len(batches) else None)
            label = (f"business_date {batch[0]}" if len(batch) == 1
                     else f"business_date {batch[0]} .. {batch[-1]} ({len(batch)} days)")
            results += _check(dq, config, txn_suite, frame, label)
            del frame
            done += len(batch)
            say(f"checked fct_transactions for {done}/{len(days)} days")
    span = span or anomaly_span(con, loaded_after)
    if span is not None:
        start, end = span
        for suite in (SUITES["marts.terminal_daily_controls"],
                      SUITES["marts.settlement_file_coverage"], _spike_suite(config)):
            results += _validate(con, dq, config, suite, batch=f"{start} .. {end}",
                                 params=[start, end])
    return results
