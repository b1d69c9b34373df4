{{ config(meta={'build_window': {'by': 'file'}}) }}
with source as {{ not_materialized() }} (
    select * from {{ source('adyen', 'adyen_sdr') }}
),

renamed as (
    select
        {{ surrogate_key(['file_id', 'line_no']) }} as settlement_line_id,
        file_id,
        line_no,
        company_account,
        merchant_account as merchant_id,
        psp_reference as rrn,
        merchant_reference as order_no,
        payment_method,
        payment_method_variant,
        type as record_type,
        case
            when type in ('Settled', 'SentForSettle') then 'SALE'
            when type in ('Refunded', 'RefundedExternally') then 'REFUND'
            when type in ('Chargeback', 'SecondChargeback') then 'CHARGEBACK'
            when type = 'MerchantPayout' then 'PAYOUT'
            else 'OTHER'
        end as txn_type,
        creation_date as txn_time,
        timezone,
        batch_number,
        gross_currency,
        coalesce(gross_credit, 0) - coalesce(gross_debit, 0) as gross_amount,
        net_currency,
        coalesce(net_credit, 0) - coalesce(net_debit, 0) as net_amount,
        coalesce(commission, 0) + coalesce(markup, 0) + coalesce(scheme_fees, 0)
            + coalesce(interchange, 0) as fee_amount,
        exchange_rate,
        cast(booking_date as date) as booking_date,
        modification_reference,
        merchant_order_reference,
        extra_columns
    from source
)

select * from renamed
