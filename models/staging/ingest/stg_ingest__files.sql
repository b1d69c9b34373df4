with source as {{ not_materialized() }} (
    select * from {{ source('ingest', 'file_manifest') }}
)

select
    file_id,
    file_name,
    folder,
    size_bytes,
    sha256,
    layout,
    encoding,
    status,
    scope_key,
    rows_read,
    rows_loaded,
    rows_rejected,
    error_line,
    error_field,
    error,
    error_check,
    error_severity,
    duplicate_of,
    superseded_by,
    first_seen_at,
    loaded_at,
    run_id
from source
