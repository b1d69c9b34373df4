{#- Payout memos name the settlement date (the 8-digit group) and the merchant number
    (after 商户号); the kind of payout is read from the memo's prefix. -#}
{{ config(meta={'build_window': {'by': 'file'}}) }}
with source as {{ not_materialized() }} (
    select * from {{ source('bank', 'bank_statement_cn') }}
),

renamed as (
    select
        {{ surrogate_key(['file_id', 'line_no']) }} as bank_line_id,
        file_id,
        line_no,
        txn_date,
        txn_time,
        serial_no,
        summary,
        debit as debit_amount,
        credit as credit_amount,
        balance,
        counterparty_name,
        counterparty_account,
        memo,
        case
            when memo like '%微信支付结算%' then 'WECHAT'
            when memo like '%支付宝结算%' then 'ALIPAY'
            when memo like '%POS结算%' then 'POS'
        end as payout_kind,
        {{ try_parse_date("nullif(regexp_extract(memo, '([0-9]{8})', 1), '')", 'yyyyMMdd') }}
            as payout_settlement_date,
        nullif(regexp_extract(memo, '商户号[:：{{ regex_space() }}]*([0-9A-Za-z]+)', 1), '') as payout_merchant_id
    from source
)

select * from renamed
