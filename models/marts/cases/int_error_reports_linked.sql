{#- Every error report — from report files (reports/) and from the report form (the case store)
    — linked to the transaction it is about and to that transaction's exception. A report
    finds its transaction on the same terminal by the first rule that holds: 1 RRN (same rrn),
    2 TRACE_NO (same voucher number), both within var('report_link_window_minutes') of the
    reported time (people misremember the time, rarely the voucher), 3 AMOUNT_TIME (same
    amount within var('report_amount_window_minutes')). Among a rule's candidates the one with
    the reported amount, then the nearest in time, wins. Journal lines are searched first; a
    report that finds none is matched the same way against exceptions without a journal line
    (a settlement line the terminal never logged). -#}
{#- It reads the facts (fct_transactions, fct_exceptions), so it sits with the mart it feeds;
    it stays a table in the intermediate schema, out of the published interface. -#}
{{ config(schema='intermediate') }}
{%- set key_window = var('report_link_window_minutes', 1440) -%}
{%- set amount_window = var('report_amount_window_minutes', 10) -%}

with file_reports as (
    select
        r.error_report_line_id as report_key,
        r.report_id,
        'file:' || coalesce(f.file_name, r.file_id) || ':' || r.line_no as source,
        'FILE' as source_kind,
        r.reported_at,
        r.reporter_name,
        r.reporter_role,
        r.merchant_id,
        r.terminal_id,
        r.txn_time,
        r.trace_no,
        r.rrn,
        r.amount,
        'CNY' as currency,
        r.error_type,
        r.description,
        r.evidence_ref,
        r.file_id,
        r.line_no
    from {{ ref('stg_staff__error_reports') }} as r
    left join {{ ref('stg_ingest__files') }} as f on f.file_id = r.file_id
),

-- File reports are in the store too (the sync keeps them), under their file's row above.
form_reports as (
    select
        {{ surrogate_key(["'form'", 'report_id']) }} as report_key,
        report_id,
        source,
        source_kind,
        reported_at,
        reporter_name,
        reporter_role,
        merchant_id,
        terminal_id,
        txn_time,
        trace_no,
        rrn,
        amount,
        currency,
        error_type,
        description,
        evidence_ref,
        cast(null as string) as file_id,
        cast(null as integer) as line_no
    from {{ ref('stg_cases__reports') }}
    where source_kind = 'FORM'
),

-- Both list the same columns in the same order.
reports as (
    select * from file_reports
    union all
    select * from form_reports
),

-- What a report can point at: journal lines first (target_rank 1), then settlement-side
-- exceptions the terminal never logged (2), the only trace of such a transaction.
targets as {{ not_materialized() }} (
    select 1 as target_rank, journal_line_id, cast(null as string) as orphan_exception_id,
           terminal_id, trace_no, rrn, amount, txn_time
    from {{ ref('fct_transactions') }}
    union all
    select 2, null, exception_id, terminal_id, trace_no, rrn, amount, txn_time
    from {{ ref('fct_exceptions') }}
    where journal_line_id is null and terminal_id is not null and txn_time is not null
),

-- One equi-join per rule, so that each is a hash join on the terminal and its key.
candidates as (
    select r.report_key, t.*, 1 as rule_rank, 'RRN' as link_rule
    from reports as r
    join targets as t on t.terminal_id = r.terminal_id and t.rrn = r.rrn
    where r.txn_time is null
       or abs({{ epoch_seconds('t.txn_time') }} - {{ epoch_seconds('r.txn_time') }})
          <= {{ key_window }} * 60
    union all
    select r.report_key, t.*, 2, 'TRACE_NO'
    from reports as r
    join targets as t on t.terminal_id = r.terminal_id and t.trace_no = r.trace_no
    where abs({{ epoch_seconds('t.txn_time') }} - {{ epoch_seconds('r.txn_time') }})
          <= {{ key_window }} * 60
    union all
    select r.report_key, t.*, 3, 'AMOUNT_TIME'
    from reports as r
    join targets as t on t.terminal_id = r.terminal_id and t.amount = r.amount
    where abs({{ epoch_seconds('t.txn_time') }} - {{ epoch_seconds('r.txn_time') }})
          <= {{ amount_window }} * 60
),

best as (
    select report_key, journal_line_id, orphan_exception_id, link_rule, amount_agrees,
           minutes_apart
    from (
        select
            c.report_key,
            c.journal_line_id,
            c.orphan_exception_id,
            c.link_rule,
            c.amount = r.amount as amount_agrees,
            cast(abs({{ epoch_seconds('c.txn_time') }} - {{ epoch_seconds('r.txn_time') }}) / 60
                 as decimal(12, 1)) as minutes_apart,
            row_number() over (
                partition by c.report_key
                order by c.target_rank asc nulls last, c.rule_rank asc nulls last,
                         (c.amount = r.amount) desc nulls last,
                         abs({{ epoch_seconds('c.txn_time') }} - {{ epoch_seconds('r.txn_time') }})
                             asc nulls last,
                         c.journal_line_id asc nulls last, c.orphan_exception_id asc nulls last
            ) as candidate_rank
        from candidates as c
        join reports as r on r.report_key = c.report_key
    ) as ranked
    where candidate_rank = 1
),

-- A transaction may carry several exceptions (a settled void with a fee difference): the one
-- whose type the reporter named, else the largest exposure.
exceptions as {{ not_materialized() }} (
    select exception_id, exception_type, exposure_amount, journal_line_id
    from {{ ref('fct_exceptions') }}
),

exception_choice as (
    select
        b.report_key,
        e.exception_id,
        e.exception_type,
        count(*) over (partition by b.report_key) as exceptions_on_transaction
    from best as b
    join exceptions as e on e.journal_line_id = b.journal_line_id
    union all
    select b.report_key, e.exception_id, e.exception_type, 1
    from best as b
    join exceptions as e on e.exception_id = b.orphan_exception_id
),

chosen_exception as (
    select report_key, exception_id, exception_type, exceptions_on_transaction
    from (
        select
            x.*,
            row_number() over (
                partition by x.report_key
                order by (e.exception_type = upper(trim(r.error_type))) desc nulls last,
                         e.exposure_amount desc nulls last, e.exception_id asc nulls last
            ) as exception_rank
        from exception_choice as x
        join reports as r on r.report_key = x.report_key
        join exceptions as e on e.exception_id = x.exception_id
    ) as ranked
    where exception_rank = 1
)

select
    r.*,
    case
        when x.exception_id is not null then 'LINKED_EXCEPTION'
        when b.journal_line_id is not null then 'LINKED_TRANSACTION'
        else 'UNLINKED'
    end as link_status,
    b.link_rule,
    b.amount_agrees,
    b.minutes_apart,
    b.journal_line_id,
    x.exception_id,
    x.exception_type,
    coalesce(x.exceptions_on_transaction, 0) as exceptions_on_transaction
from reports as r
left join best as b on b.report_key = r.report_key
left join chosen_exception as x on x.report_key = r.report_key
