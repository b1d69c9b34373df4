"""Every SQL statement the dashboards run, in one place.

Templates with ``{where}`` take a predicate built by ``dashboards.filters`` from fixed column
names and ``?`` placeholders only; values always travel as bound parameters. The ``*_COLS``
maps say which filter applies to which column of a source: a figure whose source cannot honour
an active filter is not shown (``Page.shows``), never drawn unfiltered.
"""

from __future__ import annotations

# --- which filter applies to which column ----------------------------------------------------

ERROR_RATE_COLS = {"period": "business_date", "merchant": "merchant_id", "store": "store_id",
                   "terminal": "terminal_id", "acquirer": "acquirer", "channel": "channel"}
TRANSACTION_COLS = ERROR_RATE_COLS
EXCEPTION_COLS = {**ERROR_RATE_COLS, "type": "exception_type", "cause": "root_cause"}
# mart_loss_assessment (monthly): the pages sum fct_exceptions instead, see LOSS_ITEMS.
LOSS_COLS = {"period": "month", "store": "store_id", "acquirer": "acquirer",
             "type": "exception_type", "cause": "root_cause"}
RECONCILIATION_COLS = {"period": "settlement_date", "merchant": "merchant_id",
                       "acquirer": "acquirer"}
CONTROL_COLS = {"period": "business_date", "merchant": "merchant_id", "store": "store_id",
                "terminal": "terminal_id"}

# --- snapshot and filter options -------------------------------------------------------------

TABLE_EXISTS = """
    select count(*) > 0 as found from information_schema.tables
    where table_schema = ? and table_name = ?
"""

DATE_RANGE = """
    select min(business_date) as first, max(business_date) as last from main.mart_error_rates
"""

DIMENSION_VALUES = """
    select distinct {column} as value from main.{table}
    where {column} is not null order by 1
"""

# --- overview --------------------------------------------------------------------------------

VOLUME_KPIS = """
    select coalesce(sum(transactions), 0) as transactions, coalesce(sum(approvals), 0) as approvals,
           coalesce(sum(declines), 0) as declines,
           coalesce(sum(declines) / nullif(sum(transactions), 0), 0) as decline_rate,
           coalesce(sum(approved_amount), 0) as approved_amount,
           coalesce(sum(exceptions), 0) as exceptions,
           coalesce(sum(exceptions) / nullif(sum(transactions), 0), 0) as exception_rate
    from main.mart_error_rates where {where}
"""

LAST_RUN = """
    select run_id, started_at, finished_at, outcome, exit_code, snapshot_id, timings
    from audit.refresh_runs order by started_at desc limit 1
"""

SNAPSHOT_RUN = """
    select run_id, started_at, finished_at, outcome, exit_code, snapshot_id, timings, versions,
           checks, record
    from audit.refresh_runs where snapshot_id = ? order by started_at desc limit 1
"""

LATEST_RUN_RECORD = """
    select run_id, started_at, finished_at, outcome, exit_code, snapshot_id, timings, versions,
           checks, record
    from audit.refresh_runs order by started_at desc limit 1
"""

DQ_STATUS = """
    select severity, status, count(*) as results
    from main.fct_dq_check_results
    where run_id = (select run_id from main.fct_dq_check_results order by checked_at desc limit 1)
    group by all order by severity, status
"""

DQ_LATEST_FAILURES = """
    select suite, check_name, severity, status, observed, expected, file_name, line_no, detail
    from main.fct_dq_check_results
    where run_id = (select run_id from main.fct_dq_check_results order by checked_at desc limit 1)
      and status <> 'PASSED'
    order by severity, suite, check_name
"""

ALERTS_RECENT = "select * from main.fct_alerts order by raised_at desc limit 50"

ALERTS_BY_SEVERITY = ("select severity, count(*) as alerts from main.fct_alerts "
                      "group by all order by 1")

DAILY_TREND = """
    select business_date, sum(transactions) as transactions, sum(declines) as declines,
           sum(exceptions) as exceptions,
           sum(declines) / nullif(sum(transactions), 0) as decline_rate,
           sum(exceptions) / nullif(sum(transactions), 0) as exception_rate,
           sum(exposure_amount) as exposure_amount
    from main.mart_error_rates where {where} group by all order by business_date
"""

# --- error rates -----------------------------------------------------------------------------

RATES_BY = """
    select {dimension} as {dimension}, sum(transactions) as transactions,
           sum(approvals) as approvals, sum(declines) as declines, sum(exceptions) as exceptions,
           round(sum(declines) / nullif(sum(transactions), 0), 6) as decline_rate,
           round(sum(exceptions) / nullif(sum(transactions), 0), 6) as exception_rate,
           sum(exposure_amount) as exposure_amount
    from main.mart_error_rates where {where} group by all
    order by exception_rate desc nulls last, decline_rate desc nulls last
"""

# Hour of day needs the journal itself: a narrow scan (three columns) of fct_transactions.
RATES_BY_HOUR = """
    select hour(txn_time) as hour, count(*) as transactions,
           count(*) filter (where not is_approved) as declines,
           round(count(*) filter (where not is_approved) / count(*), 6) as decline_rate,
           count(*) filter (where is_unknown_outcome) as unknown_outcomes
    from main.fct_transactions
    where txn_type in ('SALE', 'PREAUTH', 'PREAUTH_COMPLETE', 'REFUND') and {where}
    group by all order by hour
"""

DECLINES_BY_CATEGORY = """
    select sum(declines_cardholder_funds_limits) as cardholder_funds_limits,
           sum(declines_cardholder_credentials) as cardholder_credentials,
           sum(declines_issuer_policy) as issuer_policy,
           sum(declines_fraud_security) as fraud_security,
           sum(declines_network_or_timeout) as network_or_timeout,
           sum(declines_merchant_terminal_config) as merchant_terminal_config,
           sum(declines_terminal_key_session) as terminal_key_session,
           sum(declines_other) as other
    from main.mart_error_rates where {where}
"""

CONTROL_TERMINALS = """
    select terminal_id, count(*) filter (where is_out_of_control) as out_of_control_days,
           count(*) filter (where is_volume_drop) as volume_drop_days,
           sum(transactions) as transactions, sum(errors) as errors
    from main.mart_terminal_daily_controls where {where}
    group by all order by out_of_control_days desc, errors desc, terminal_id
"""

CONTROL_CHART = """
    select business_date, transactions, errors, error_rate, center_rate, lcl, ucl,
           is_out_of_control, weekday_baseline, volume_ratio, is_volume_drop
    from main.mart_terminal_daily_controls where {where} and terminal_id = ?
    order by business_date
"""

OUT_OF_CONTROL_DAYS = """
    select business_date, merchant_id, store_id, terminal_id, transactions, errors, error_rate,
           center_rate, ucl, is_out_of_control, is_volume_drop, volume_ratio
    from main.mart_terminal_daily_controls
    where {where} and (is_out_of_control or is_volume_drop)
    order by business_date desc, terminal_id
"""

# --- root cause and exceptions ---------------------------------------------------------------

PARETO_BY_CAUSE = """
    select root_cause, count(*) as exceptions, sum(exposure_amount) as exposure_amount,
           sum(net_loss) as unrecovered_amount
    from main.fct_exceptions where {where} group by all order by exceptions desc, root_cause
"""

PARETO_BY_CAUSE_TYPE = """
    select root_cause, exception_type, count(*) as exceptions,
           sum(exposure_amount) as exposure_amount, sum(net_loss) as unrecovered_amount
    from main.fct_exceptions where {where} group by all order by exposure_amount desc
"""

EVIDENCE_SUMMARY = """
    select root_cause, exception_type,
           root_cause_evidence ->> 'condition' as condition,
           root_cause_evidence ->> 'condition_met' as condition_met,
           count(*) as exceptions
    from main.fct_exceptions where {where} group by all order by exceptions desc
"""

EXCEPTION_TERMINALS = """
    select terminal_id, count(*) as exceptions, sum(exposure_amount) as exposure_amount
    from main.fct_exceptions where {where} and terminal_id is not null
    group by all order by exceptions desc, terminal_id
"""

TERMINAL_EXCEPTIONS = """
    select exception_id, exception_type, root_cause, txn_time, business_date, trace_no, amount,
           exposure_amount, root_cause_evidence
    from main.fct_exceptions where {where} and terminal_id = ? order by txn_time
"""

# Events from the staging view over the raw events (one terminal, a time window).
TERMINAL_EVENTS = """
    select event_time, event_type, is_fault
    from staging.stg_tms__terminal_events
    where terminal_id = ? and event_time between ? and ?
    order by event_time
"""

EXCEPTIONS_LIST = """
    select exception_id, exception_type, business_date, txn_time, merchant_id, store_id,
           terminal_id, trace_no, rrn, order_no, acquirer, channel, amount, exposure_amount,
           exposure_direction, root_cause, status, recovered_amount,
           net_loss as unrecovered_amount, age_days, detail
    from main.fct_exceptions where {where}
    order by exposure_amount desc, business_date desc, exception_id
    limit ?
"""

EXCEPTIONS_COUNT = "select count(*) as n from main.fct_exceptions where {where}"

EXCEPTION = "select * from main.fct_exceptions where exception_id = ?"

# business_date narrows the scan to the day's row groups on a large journal.
TRANSACTION_SIDE = """
    select * from main.fct_transactions where journal_line_id = ? and business_date = ?
"""

SETTLEMENT_SIDE = """
    select * from main.fct_settlement_lines where settlement_line_id = ? and business_date = ?
"""

SETTLEMENT_BY_ID = "select * from main.fct_settlement_lines where settlement_line_id = ?"

# An exception's file: the journal lines it involves (its own and the related one: the first
# charge of a duplicate, the original of a refund, the void or reversal of a sale), the
# settlement lines matched to them, and the bank side of its merchant number and settlement day.
# By id within a few business days (the journal's row groups for those days only); the
# *_ANY_DAY forms read every day, for the rare line further away (an old refund's original).
# The rows are found by their ids first and only then read whole: an OR of ids over every
# column of a large table would decompress them all.
_RELATED_TRANSACTIONS = """
    select journal_line_id, txn_time, txn_type, amount, resp_code, is_approved, match_status,
           settlement_date, terminal_id, batch_no, trace_no, rrn, orig_trace_no, orig_rrn,
           card_mask, settlement_line_id
    from main.fct_transactions
    where rowid in (select rowid from main.fct_transactions
                    where journal_line_id in (?, ?) and {days})
    order by txn_time, journal_line_id
"""
RELATED_TRANSACTIONS = _RELATED_TRANSACTIONS.format(days="business_date between ? and ?")
RELATED_TRANSACTIONS_ANY_DAY = _RELATED_TRANSACTIONS.format(days="true")

_RELATED_SETTLEMENT_LINES = """
    select settlement_line_id, settlement_date, txn_type, gross_amount, fee_amount, net_amount,
           match_status, txn_time, acquirer, merchant_id, terminal_id, trace_no, rrn, order_no,
           journal_line_id
    from main.fct_settlement_lines
    where rowid in (select rowid from main.fct_settlement_lines
                    where (journal_line_id in (?, ?) or settlement_line_id = ?) and {days})
    order by settlement_date, settlement_line_id
"""
RELATED_SETTLEMENT_LINES = _RELATED_SETTLEMENT_LINES.format(days="business_date between ? and ?")
RELATED_SETTLEMENT_LINES_ANY_DAY = _RELATED_SETTLEMENT_LINES.format(days="true")

# The net settlement of a merchant number and day beside the bank's payout for it.
EXPECTED_PAYOUT = """
    select settlement_date, merchant_id, acquirer, net_amount, payout_amount, credited_on,
           payout_due_by, deposit_difference, bank_covered_through, is_bank_due, payout_id,
           net_settlement_id
    from intermediate.int_settlement_deposits_daily
    where merchant_id = ? and settlement_date = ?
    order by acquirer nulls last
"""

# The lines of the statements that carry the merchant number's payouts, from the settlement
# date to the day the payout was due, and the payout for that day whenever it came.
BANK_LINES_OF_THE_DAY = """
    select txn_date, txn_time, summary, credit_amount, debit_amount, counterparty_name, memo,
           coalesce(payout_merchant_id = ? and payout_settlement_date = ?, false)
               as is_this_payout,
           payout_settlement_date, payout_merchant_id, serial_no, balance, file_id, line_no,
           bank_line_id
    from staging.stg_bank__statement_lines
    where file_id in (select file_id from staging.stg_bank__statement_lines
                      where payout_merchant_id = ?)
      and (txn_date between ? and ?
           or (payout_merchant_id = ? and payout_settlement_date = ?))
    order by txn_date, txn_time, line_no
"""

# --- cases (the case store itself is SQLite: dashboards.casework) -----------------------------

# The exception a case is about, as the snapshot has it.
CASE_EXCEPTION = """
    select exception_id, exception_type, business_date, txn_time, merchant_id, store_id,
           terminal_id, trace_no, rrn, order_no, amount, exposure_amount, exposure_direction,
           root_cause, status, recovered_amount, net_loss as unrecovered_amount, age_days
    from main.fct_exceptions where exception_id = ?
"""

# The terminals a report may name: the same set as posaudit.cases.reports.known_terminals,
# read on the dashboard's own connection (DuckDB refuses a second, differently configured one
# to the same file in one process).
KNOWN_TERMINALS = """
    select terminal_id from staging.stg_reference__terminals where terminal_id is not null
    union
    select distinct terminal_id from main.fct_transactions where terminal_id is not null
"""

# What the case store says about the money, read live from its SQLite file (not the snapshot,
# whose copy is only as new as the last refresh): one row per case of an exception, and one
# per refund, recovery or approved write-off recorded on it (amounts as the trail's text).
CASE_OUTCOMES = """
    select c.exception_id, c.state as case_state, a.action, a.amount
    from cases as c
    left join case_actions as a on a.case_id = c.case_id
        and a.action in ('record_refund', 'record_recovery', 'approve_write_off')
    where c.exception_id is not null
    order by c.exception_id, a.seq
"""

# The case store's version: every change (opening a case, an action, a link) appends a trail
# row, so the last sequence number changes whenever the outcomes may have.
CASE_STORE_VERSION = "select coalesce(max(seq), 0) as version from case_actions"

# The transaction a report is about, by the warehouse's linking rules (int_error_reports_linked:
# same terminal; same RRN or voucher number within a day, else the same amount within 10
# minutes; journal lines before exceptions the terminal never logged): its journal line or
# its orphan exception, and the exceptions on it. Parameters: terminal, RRN, voucher number,
# amount, transaction time.
REPORT_TRANSACTION = """
    with report as (
        select ?::varchar as terminal_id, nullif(?, '')::varchar as rrn,
               nullif(?, '')::varchar as trace_no, ?::decimal(18, 2) as amount,
               ?::timestamp as txn_time
    ),
    targets as (
        select 1 as target_rank, t.journal_line_id, null::varchar as orphan_exception_id,
               t.trace_no, t.rrn, t.amount, t.txn_time
        from main.fct_transactions t join report r on t.terminal_id = r.terminal_id
        union all
        select 2, null, e.exception_id, e.trace_no, e.rrn, e.amount, e.txn_time
        from main.fct_exceptions e join report r on e.terminal_id = r.terminal_id
        where e.journal_line_id is null and e.txn_time is not null
    ),
    candidates as (
        select t.*, abs(epoch(t.txn_time) - epoch(r.txn_time)) as seconds_apart,
               t.amount = r.amount as amount_agrees,
               case when t.rrn = r.rrn then 1 when t.trace_no = r.trace_no then 2 else 3 end
                   as rule_rank
        from targets t, report r
        where ((t.rrn = r.rrn or t.trace_no = r.trace_no)
               and abs(epoch(t.txn_time) - epoch(r.txn_time)) <= 1440 * 60)
           or (t.amount = r.amount and abs(epoch(t.txn_time) - epoch(r.txn_time)) <= 10 * 60)
    ),
    best as (
        select journal_line_id, orphan_exception_id from candidates
        order by target_rank, rule_rank, amount_agrees desc nulls last, seconds_apart,
                 journal_line_id, orphan_exception_id
        limit 1
    )
    select b.journal_line_id, b.orphan_exception_id, e.exception_id
    from best b
    left join main.fct_exceptions e
      on e.journal_line_id = b.journal_line_id or e.exception_id = b.orphan_exception_id
"""

# Reports the last refresh linked to a transaction (its journal line or orphan exception).
REPORTS_ON_TRANSACTION = """
    select report_id from main.fct_error_reports
    where journal_line_id = ? or (? is not null and exception_id = ?)
    order by reported_at, report_id
"""

# --- loss assessment -------------------------------------------------------------------------

# The exceptions still waiting for a source (pending in the loss split): a sale missing in
# settlement while the settlement files reach no further than its expected date plus the
# settlement grace days; a net settlement without payout while the bank statements reach no
# further than its date plus the deposit grace days. It depends on the snapshot only, so it is
# read once per snapshot (the journal join is the costly part on a large warehouse).
# Parameters: the settlement and deposit grace days.
AWAITING_SOURCE = """
    select m.exception_id
    from main.fct_exceptions as m
    join main.fct_transactions as t
        on t.journal_line_id = m.journal_line_id and t.business_date = m.business_date
    join intermediate.int_settlement_coverage as c
        on c.acquirer = t.acquirer and c.merchant_id = t.settlement_merchant_id
    where m.exception_type = 'MISSING_IN_SETTLEMENT'
      and c.covered_through <= cast(t.expected_settlement_date + ?::integer as date)
    union
    select e.exception_id
    from main.fct_exceptions as e
    join intermediate.int_bank_coverage as b on b.merchant_id = e.merchant_id
    where e.exception_type = 'MISSING_DEPOSIT'
      and b.covered_through <= cast(e.business_date + ?::integer as date)
"""

# One row per exception with its exposure split (docs/analysts-guide.md, "Exposure and loss"):
# recovered (later data, plus refunds and recoveries recorded on its case, at most the
# exposure), written off (approved write-offs, at most what is left) and the rest: pending
# while it awaits a source (AWAITING_SOURCE), past the ageing limit once older than it, else
# open. pending + open + recovered + written off + past limit = exposure, to the fen; net
# loss = written off + past limit.
# Two small frames are registered on the cursor: ``case_outcomes``, the live case store's
# (exception_id, case_state, action, amount as text: dashboards.case_outcomes), and
# ``awaiting_source`` (exception_id). Parameters: the filters, the ageing limit in days.
LOSS_ITEMS = """
    with filtered as (
        select * from main.fct_exceptions where {where}
    ),
    case_money as (
        select exception_id, any_value(case_state) as case_state,
               coalesce(sum(cast(amount as decimal(18, 2))) filter (
                   where action in ('record_refund', 'record_recovery')), 0) as case_recovered,
               coalesce(sum(cast(amount as decimal(18, 2))) filter (
                   where action = 'approve_write_off'), 0) as case_written_off
        from case_outcomes group by exception_id
    ),
    recovered as (
        select e.*, c.case_state,
               least(e.exposure_amount, e.recovered_amount + coalesce(c.case_recovered, 0))
                   as recovered_total,
               coalesce(c.case_written_off, 0) as approved_write_off,
               e.exception_id in (select cast(exception_id as varchar) from awaiting_source)
                   as awaits_source
        from filtered as e
        left join case_money as c on c.exception_id = e.exception_id
    ),
    written as (
        select *, least(approved_write_off, greatest(exposure_amount - recovered_total, 0))
                      as written_off
        from recovered
    ),
    remaining as (
        select *, greatest(exposure_amount - recovered_total - written_off, 0) as unresolved,
               not awaits_source and age_days > ? as is_past_limit
        from written
    ),
    items as (
        select *, cast(date_trunc('month', business_date) as date) as month,
               case when awaits_source then unresolved else 0 end as pending_amount,
               case when is_past_limit then unresolved else 0 end as past_limit_amount,
               case when not awaits_source and not is_past_limit then unresolved else 0 end
                   as open_amount,
               case when age_days <= 1 then '0-1' when age_days <= 7 then '2-7'
                    when age_days <= 30 then '8-30' else '>30' end as aging_bucket,
               coalesce(case_state, 'OPEN') not in ('CLOSED', 'REFUNDED', 'RECOVERED',
                                                    'WRITTEN_OFF')
                   and status in ('OPEN', 'PARTIALLY_RECOVERED') as is_open_item
        from remaining
    )
"""

_LOSS_SUMS = """
           count(*) as exceptions,
           coalesce(sum(exposure_amount), 0) as exposure_amount,
           coalesce(sum(pending_amount), 0) as pending_amount,
           coalesce(sum(open_amount), 0) as open_amount,
           coalesce(sum(recovered_total), 0) as recovered_amount,
           coalesce(sum(written_off), 0) as written_off_amount,
           coalesce(sum(past_limit_amount), 0) as past_limit_amount,
           coalesce(sum(written_off + past_limit_amount), 0) as net_loss
"""

# The split in total, the figures Overview and Loss share; and the open items.
LOSS_TOTALS = LOSS_ITEMS + f"""
    select {_LOSS_SUMS}, count(*) filter (where is_open_item) as open_items
    from items
"""

LOSS_BY = LOSS_ITEMS + f"""
    select {{dimension}} as {{dimension}}, {_LOSS_SUMS}
    from items group by all order by net_loss desc, exposure_amount desc
"""

LOSS_AGING = LOSS_ITEMS + f"""
    select aging_bucket, {_LOSS_SUMS}
    from items group by aging_bucket
    order by list_position(['0-1', '2-7', '8-30', '>30'], aging_bucket)
"""

# What is still unresolved, largest first: pending, open and past the ageing limit.
TOP_OPEN_ITEMS = LOSS_ITEMS + """
    select exception_id, exception_type, business_date, store_id, terminal_id, trace_no,
           acquirer, exposure_amount, recovered_total as recovered_amount, written_off,
           pending_amount, open_amount, past_limit_amount, age_days, root_cause, status,
           case_state, detail
    from items where unresolved > 0
    order by unresolved desc, age_days desc, exception_id limit 50
"""

# --- reconciliation --------------------------------------------------------------------------

RECONCILIATION_DAILY = """
    select settlement_date, sum(terminal_total) as terminal_total,
           sum(settled_gross) as settled_gross, sum(fee_amount) as fee_amount,
           sum(net_amount) as net_amount, sum(bank_deposit_amount) as bank_deposit_amount,
           sum(deposit_difference) as deposit_difference,
           sum(unexplained_residual) as unexplained_residual
    from main.mart_reconciliation_daily where {where} group by all order by settlement_date
"""

RECONCILIATION_ROWS = """
    select settlement_date, acquirer, merchant_id, terminal_transactions, terminal_total,
           settlement_lines, settled_gross, fee_amount, expected_fee_amount, net_amount,
           missing_amount, pending_amount, settled_later_amount, settled_from_earlier_amount,
           amount_differences, settled_not_expected_amount, unmatched_settlement_amount,
           batch_adjustment_amount, bank_deposit_amount, bank_deposit_date, deposit_difference,
           unexplained_residual
    from main.mart_reconciliation_daily where {where}
    order by settlement_date, acquirer, merchant_id
"""

# The bridge per day, every amount as whole fen (an exact integer: pandas would read DECIMAL
# as a float); dashboards.bridge makes them Decimal yuan again.
BRIDGE_AMOUNTS = (
    "terminal_sales", "voided_sales", "refunds", "terminal_residual", "terminal_total",
    "pending_settlement", "missing_settlement", "settlement_timing", "settlement_differences",
    "settlement_residual", "settled_gross", "fees", "batch_adjustments", "payout_residual",
    "expected_payout", "deposits_not_due", "missing_deposits", "deposit_differences",
    "deposit_residual", "bank_deposits", "residual",
)
RECONCILIATION_BRIDGE = (
    "select settlement_date, "
    + ", ".join(f"cast(sum({c}) * 100 as bigint) as {c}" for c in BRIDGE_AMOUNTS)
    + " from main.mart_reconciliation_bridge where {where}"
      " group by settlement_date order by settlement_date"
)

# --- data quality ----------------------------------------------------------------------------

DQ_RUNS = """
    select run_id, min(checked_at) as checked_at, count(*) as results,
           count(*) filter (where status = 'FAILED') as failed,
           count(*) filter (where status = 'FAILED' and severity = 'critical') as critical_failed,
           count(*) filter (where status = 'ERROR') as errors
    from main.fct_dq_check_results group by all order by checked_at desc
"""

DQ_RESULTS = """
    select checked_at, run_id, suite, check_name, severity, status, observed, expected, batch,
           file_name, line_no, field, detail
    from main.fct_dq_check_results order by checked_at desc, suite, check_name
"""

FILES_BY_STATUS = """
    select status, count(*) as files, coalesce(sum(rows_loaded), 0) as rows_loaded
    from main.fct_file_manifest group by status order by status
"""

QUARANTINED_FILES = """
    select file_name, layout, error_line, error_field, error, error_check, error_severity,
           first_seen_at
    from main.fct_file_manifest where status = 'QUARANTINED' order by file_name
"""

MANIFEST = """
    select file_name, folder, layout, encoding, status, rows_read, rows_loaded, size_bytes,
           sha256, duplicate_of, superseded_by, first_seen_at, loaded_at
    from main.fct_file_manifest order by file_name
"""

# What waits for a missing source file (mart_pending_sources): gaps and overdue rows first.
PENDING_BY_SOURCE = """
    select source, count(*) as days, sum(waiting_items) as waiting_items,
           sum(waiting_amount) as waiting_amount,
           count(*) filter (where is_gap) as gaps, max(days_overdue) as days_overdue
    from main.mart_pending_sources group by source order by source
"""

PENDING_SOURCES = """
    select source, item_kind, acquirer, merchant_id, pending_date, due_date, waiting_items,
           waiting_amount, covered_through, is_gap, days_overdue
    from main.mart_pending_sources
    order by is_gap desc, days_overdue desc, pending_date, source, merchant_id
"""

# --- workpaper -------------------------------------------------------------------------------

WORKPAPER_EXCEPTIONS = """
    select exception_id, exception_type, business_date, txn_time, merchant_id, store_id,
           terminal_id, batch_no, trace_no, rrn, order_no, acquirer, channel, amount,
           exposure_amount, exposure_direction, root_cause, root_cause_evidence, detail, status,
           recovered_amount, net_loss as unrecovered_amount, age_days
    from main.fct_exceptions where {where} order by business_date, exception_type, exception_id
"""

WORKPAPER_DQ = """
    select run_id, checked_at, suite, check_name, severity, status, observed, expected, batch,
           file_name, line_no, detail
    from main.fct_dq_check_results
    where run_id = (select run_id from main.fct_dq_check_results order by checked_at desc limit 1)
    order by status, severity, suite, check_name
"""

TRANSACTION_BY_ID = "select * from main.fct_transactions where journal_line_id = ?"
