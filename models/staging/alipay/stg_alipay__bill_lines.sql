{{ config(meta={'build_window': {'by': 'file'}}) }}
with source as {{ not_materialized() }} (
    select * from {{ source('alipay', 'alipay_bill') }}
),

renamed as (
    select
        {{ surrogate_key(['file_id', 'line_no']) }} as bill_line_id,
        file_id,
        line_no,
        -- The header's account is the PID plus the account-type suffix 0156; payout memos
        -- and contracts name the PID.
        case when {{ full_match('account', '2088[0-9]{12}0156') }} then left(account, 16)
             else account end as merchant_id,
        account,
        alipay_trade_no,
        order_no,
        case biz_type when '退款' then 'REFUND' else 'SALE' end as txn_type,
        created_at as txn_time,
        finished_at,
        cast(created_at as date) as txn_date,
        store_no,
        store_name,
        operator,
        terminal_id,
        order_amount as gross_amount,
        merchant_received,
        service_fee as fee_amount,
        refund_request_no,
        product_name,
        period_start,
        period_end
    from source
)

select * from renamed
