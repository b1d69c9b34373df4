{#- Same shape as stg_pos_journal__v1_transactions: Chinese values mapped to one vocabulary. -#}
{{ config(meta={'build_window': {'by': 'file'}}) }}
with source as {{ not_materialized() }} (
    select * from {{ source('pos_journal', 'pos_journal_cn') }}
),

renamed as (
    select
        {{ surrogate_key(['file_id', 'line_no']) }} as journal_line_id,
        file_id,
        line_no,
        'pos_journal_cn' as source_layout,
        merchant_id,
        terminal_id,
        batch_no,
        trace_no,
        rrn,
        auth_code,
        txn_time,
        cast(txn_time as date) as business_date,
        case txn_type
            when '消费' then 'SALE'
            when '撤销' then 'VOID'
            when '退货' then 'REFUND'
            when '冲正' then 'REVERSAL'
            when '预授权' then 'PREAUTH'
            when '预授权完成' then 'PREAUTH_COMPLETE'
        end as txn_type,
        orig_trace_no,
        orig_rrn,
        order_no,
        case channel
            when '芯片' then 'CHIP'
            when '磁条' then 'SWIPE'
            when '闪付' then 'CONTACTLESS'
            when '微信' then 'QR_WECHAT'
            when '支付宝' then 'QR_ALIPAY'
            when '银联二维码' then 'QR_UNIONPAY'
        end as channel,
        case when channel in ('微信', '支付宝', '银联二维码') then 'QR' else 'CARD' end
            as channel_group,
        card_token,
        card_mask,
        case card_type when '借记卡' then 'DEBIT' when '贷记卡' then 'CREDIT' else 'UNKNOWN' end
            as card_type,
        amount,
        case currency when '156' then 'CNY' else currency end as currency,
        resp_code,
        operator_id
    from source
)

select * from renamed
