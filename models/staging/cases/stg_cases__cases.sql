with source as {{ not_materialized() }} (
    select * from {{ source('cases', 'cases') }}
)

select
    case_id,
    exception_id,
    report_id,
    cast(opened_at as {{ timestamp_tz_type() }}) as opened_at,
    opened_by,
    state as case_state,
    assignee,
    cast(amount as decimal(18, 2)) as amount,
    currency,
    title
from source
