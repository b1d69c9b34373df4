{{ config(meta={'build_window': {'by': 'file'}}) }}
with source as {{ not_materialized() }} (
    select * from {{ source('acquirer', 'cn_pos_statement') }}
),

renamed as (
    select
        {{ surrogate_key(['file_id', 'line_no']) }} as statement_line_id,
        file_id,
        line_no,
        merchant_id,
        store_name,
        store_no,
        terminal_id,
        batch_no,
        trace_no,
        rrn,
        txn_time,
        cast(txn_time as date) as txn_date,
        case txn_type
            when '消费' then 'SALE'
            when '撤销' then 'VOID'
            when '退货' then 'REFUND'
            when '预授权完成' then 'PREAUTH_COMPLETE'
        end as txn_type,
        case product_type
            when '银行卡' then 'CARD'
            when '微信' then 'WECHAT'
            when '支付宝' then 'ALIPAY'
            when '银联二维码' then 'UNIONPAY_QR'
            else 'CARD'
        end as product,
        case when product_type in ('微信', '支付宝', '银联二维码') then 'QR' else 'CARD' end
            as channel_group,
        card_token,
        card_mask,
        case card_category when '借记卡' then 'DEBIT' when '贷记卡' then 'CREDIT' else 'UNKNOWN' end
            as card_type,
        issuer_code,
        issuer_name,
        order_no,
        txn_serial,
        original_txn_serial,
        amount as gross_amount,
        fee as fee_amount,
        settle_amount as net_amount,
        original_amount,
        discount_amount,
        paid_amount,
        settlement_date
    from source
)

select * from renamed
