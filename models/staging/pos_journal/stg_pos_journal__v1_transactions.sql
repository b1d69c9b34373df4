{{ config(meta={'build_window': {'by': 'file'}}) }}
with source as {{ not_materialized() }} (
    select * from {{ source('pos_journal', 'pos_journal_v1') }}
),

renamed as (
    select
        {{ surrogate_key(['file_id', 'line_no']) }} as journal_line_id,
        file_id,
        line_no,
        'pos_journal_v1' as source_layout,
        merchant_id,
        terminal_id,
        batch_no,
        trace_no,
        rrn,
        auth_code,
        txn_time,
        cast(txn_time as date) as business_date,
        txn_type,
        orig_trace_no,
        orig_rrn,
        order_no,
        channel,
        case when channel like 'QR_%' then 'QR' else 'CARD' end as channel_group,
        card_token,
        card_mask,
        coalesce(card_type, 'UNKNOWN') as card_type,
        amount,
        case currency when '156' then 'CNY' else currency end as currency,
        resp_code,
        operator_id
    from source
)

select * from renamed
