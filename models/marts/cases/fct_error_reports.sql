{#- One row per error report (file line or form), with what it links to — transaction,
    exception — and the case that follows it up. -#}
with reports as {{ not_materialized() }} (
    select * from {{ ref('int_error_reports_linked') }}
),

stored as {{ not_materialized() }} (
    select report_id, source_kind, case_id from {{ ref('stg_cases__reports') }}
),

cases as {{ not_materialized() }} (
    select * from {{ ref('int_cases_summarised') }}
)

select
    r.report_key,
    r.report_id,
    r.source,
    r.source_kind,
    r.reported_at,
    r.reporter_name,
    r.reporter_role,
    r.merchant_id,
    coalesce(t.store_id, term.store_id) as store_id,
    r.terminal_id,
    r.txn_time,
    r.trace_no,
    r.rrn,
    r.amount,
    r.currency,
    r.error_type,
    r.description,
    r.evidence_ref,
    r.link_status,
    r.link_rule,
    r.amount_agrees,
    r.minutes_apart,
    r.journal_line_id,
    r.exception_id,
    r.exception_type,
    r.exceptions_on_transaction,
    s.case_id,
    c.case_state,
    ec.case_id as exception_case_id,
    r.link_status = 'UNLINKED' as is_open_item,
    r.file_id,
    r.line_no
from reports as r
left join stored as s on s.report_id = r.report_id and s.source_kind = r.source_kind
left join cases as c on c.case_id = s.case_id
left join cases as ec on ec.exception_id = r.exception_id
left join {{ ref('fct_transactions') }} as t on t.journal_line_id = r.journal_line_id
left join {{ ref('stg_reference__terminals') }} as term on term.terminal_id = r.terminal_id
