{{ config(meta={'build_window': {'by': 'file'}}) }}
with source as {{ not_materialized() }} (
    select * from {{ source('staff', 'error_report') }}
),

renamed as (
    select
        {{ surrogate_key(['file_id', 'line_no']) }} as error_report_line_id,
        file_id,
        line_no,
        report_id,
        reported_at,
        reporter_name,
        reporter_role,
        merchant_id,
        terminal_id,
        txn_time,
        trace_no,
        rrn,
        amount,
        error_type,
        description,
        evidence_ref
    from source
)

select * from renamed
