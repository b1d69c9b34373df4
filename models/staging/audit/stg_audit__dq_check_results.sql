with source as {{ not_materialized() }} (
    select * from {{ source('audit', 'dq_check_results') }}
)

select
    {{ surrogate_key(['run_id', 'stage', 'suite', 'check_name', 'batch', 'file_name', 'line_no', 'field', 'expected', 'observed', 'detail']) }}
        as check_result_id,
    run_id,
    checked_at,
    stage,
    suite,
    check_name,
    severity,
    status,
    observed,
    expected,
    batch,
    file_name,
    line_no,
    field,
    detail
from source
