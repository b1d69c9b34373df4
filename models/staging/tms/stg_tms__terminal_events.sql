{{ config(meta={'build_window': {'by': 'file'}}) }}
with source as {{ not_materialized() }} (
    select * from {{ source('tms', 'terminal_events') }}
),

renamed as (
    select
        {{ surrogate_key(['file_id', 'line_no']) }} as terminal_event_id,
        file_id,
        line_no,
        terminal_id,
        event_time,
        cast(event_time as date) as event_date,
        event_type,
        event_type in ('ERROR', 'OFFLINE', 'KEY_SYNC_FAILED') as is_fault,
        detail
    from source
)

select * from renamed
