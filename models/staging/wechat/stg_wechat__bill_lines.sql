{{ config(meta={'build_window': {'by': 'file'}}) }}
with source as {{ not_materialized() }} (
    select * from {{ source('wechat', 'wechat_bill') }}
),

renamed as (
    select
        {{ surrogate_key(['file_id', 'line_no']) }} as bill_line_id,
        file_id,
        line_no,
        bill_variant,
        merchant_id,
        sub_merchant_id,
        device_id as terminal_id,
        wechat_order_no,
        order_no,
        wechat_refund_no,
        merchant_refund_no,
        trade_type,
        trade_status,
        case when trade_status = 'REFUND' then 'REFUND' else 'SALE' end as txn_type,
        trade_time as txn_time,
        cast(trade_time as date) as txn_date,
        currency,
        -- A refund row keeps the order's amounts; its own money is the refund.
        case when trade_status = 'REFUND' then -refund_amount else settle_amount end
            as gross_amount,
        cast(round(fee, 2) as decimal(18, 2)) as fee_amount,
        fee as fee_amount_exact,
        fee_rate,
        order_amount,
        coupon_amount,
        refund_amount,
        product_name
    from source
)

select * from renamed
