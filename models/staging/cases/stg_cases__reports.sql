with source as {{ not_materialized() }} (
    select * from {{ source('cases', 'reports') }}
)

select
    report_id,
    source.source,
    case when source.source like 'file:%' then 'FILE' else 'FORM' end as source_kind,
    cast(stored_at as {{ timestamp_tz_type() }}) as stored_at,
    cast(reported_at as timestamp) as reported_at,
    reporter,
    reporter_name,
    reporter_role,
    merchant_id,
    terminal_id,
    cast(txn_time as timestamp) as txn_time,
    trace_no,
    rrn,
    cast(amount as decimal(18, 2)) as amount,
    currency,
    error_type,
    description,
    evidence_ref,
    case_id
from source
