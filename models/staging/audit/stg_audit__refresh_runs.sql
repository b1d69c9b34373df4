with source as {{ not_materialized() }} (
    select * from {{ source('audit', 'refresh_runs') }}
)

select
    run_id,
    started_at,
    finished_at,
    outcome,
    exit_code,
    snapshot_id,
    timings,
    versions,
    checks,
    record
from source
