{#- One normalised shape for every settlement line of every layout: acquirer statements,
    WeChat and Alipay bills, Adyen. Money is signed (refunds negative); net = gross − fee.

    Kept incrementally like the journal: a refresh appends the lines of files it has not seen and
    drops the lines of files superseded since. The acquirer a statement line is attributed to
    comes from the terminal register and contracts, so a refresh that loads either rebuilds
    everything (posaudit/build_window.py). -#}
{{
    config(
        materialized=keyed_incremental(),
        unique_key='settlement_line_id',
        incremental_strategy='delete+insert',
        meta={'build_window': {'by': 'file'}},
        post_hook=["{{ drop_unloaded_files() }}"]
    )
}}

with terminals as {{ not_materialized() }} (
    select * from {{ ref('stg_reference__terminals') }}
),

merchant_acquirer as (
    -- A statement does not name its acquirer: the terminal register and contracts do.
    select merchant_id, min(acquirer) as acquirer
    from (
        select merchant_id, acquirer from terminals where acquirer is not null
        union all
        select merchant_id, acquirer from {{ ref('stg_reference__fee_contracts') }}
        where merchant_id <> '*' and acquirer <> '*'
    ) as attributions
    group by merchant_id
),

acquirer_lines as (
    select
        s.statement_line_id as settlement_line_id,
        'cn_pos_statement' as source_layout,
        coalesce(t.acquirer, m.acquirer, 'ACQUIRER') as acquirer,
        s.merchant_id,
        s.terminal_id,
        s.batch_no,
        s.trace_no,
        s.rrn,
        s.order_no,
        s.txn_type,
        s.channel_group,
        case s.product
            when 'WECHAT' then 'QR_WECHAT' when 'ALIPAY' then 'QR_ALIPAY'
            when 'UNIONPAY_QR' then 'QR_UNIONPAY'
        end as qr_channel,
        s.card_type,
        s.card_token,
        s.card_mask,
        s.txn_time,
        s.txn_date,
        s.gross_amount,
        s.fee_amount,
        s.fee_amount as fee_amount_exact,
        s.net_amount,
        'CNY' as currency,
        s.settlement_date,
        s.file_id,
        s.line_no
    from {{ ref('stg_acquirer__statement_lines') }} as s
    left join terminals as t on t.terminal_id = s.terminal_id and t.merchant_id = s.merchant_id
    left join merchant_acquirer as m on m.merchant_id = s.merchant_id
),

wallet_bill_lines as (
    -- WeChat and Alipay bills share one shape once staged.
    select bill_line_id, 'wechat_bill' as source_layout, 'WECHATPAY' as acquirer,
           'QR_WECHAT' as qr_channel, merchant_id, terminal_id, order_no, txn_type, txn_time,
           txn_date, gross_amount, fee_amount, fee_amount_exact, coalesce(currency, 'CNY') as currency,
           file_id, line_no
    from {{ ref('stg_wechat__bill_lines') }}
    union all
    select bill_line_id, 'alipay_bill', 'ALIPAY', 'QR_ALIPAY', merchant_id, terminal_id,
           order_no, txn_type, txn_time, txn_date, gross_amount, fee_amount, fee_amount, 'CNY',
           file_id, line_no
    from {{ ref('stg_alipay__bill_lines') }}
),

wallet_lines as (
    select
        bill_line_id as settlement_line_id,
        source_layout,
        acquirer,
        merchant_id,
        terminal_id,
        null as batch_no,
        null as trace_no,
        null as rrn,
        order_no,
        txn_type,
        'QR' as channel_group,
        qr_channel,
        'UNKNOWN' as card_type,
        null as card_token,
        null as card_mask,
        txn_time,
        txn_date,
        gross_amount,
        -- Refunds carry no fee.
        case when txn_type = 'REFUND' then 0 else fee_amount end as fee_amount,
        case when txn_type = 'REFUND' then 0 else fee_amount_exact end as fee_amount_exact,
        gross_amount - case when txn_type = 'REFUND' then 0 else fee_amount end as net_amount,
        currency,
        -- Wallet bills list one day; their funds arrive the next (T1).
        date_add(txn_date, 1) as settlement_date,
        file_id,
        line_no
    from wallet_bill_lines
),

adyen_lines as (
    select
        a.settlement_line_id,
        'adyen_sdr' as source_layout,
        'ADYEN' as acquirer,
        a.merchant_id,
        null as terminal_id,
        null as batch_no,
        null as trace_no,
        a.rrn,
        a.order_no,
        a.txn_type,
        'CARD' as channel_group,
        null as qr_channel,
        'UNKNOWN' as card_type,
        null as card_token,
        null as card_mask,
        a.txn_time,
        cast(a.txn_time as date) as txn_date,
        cast(a.gross_amount as decimal(18, 2)) as gross_amount,
        cast(a.fee_amount as decimal(18, 2)) as fee_amount,
        cast(a.fee_amount as decimal(18, 2)) as fee_amount_exact,
        cast(a.net_amount as decimal(18, 2)) as net_amount,
        a.net_currency as currency,
        coalesce(p.payout_date, a.booking_date, cast(a.txn_time as date)) as settlement_date,
        a.file_id,
        a.line_no
    from {{ ref('stg_adyen__settlement_lines') }} as a
    left join {{ ref('int_adyen_batches') }} as p
        on p.merchant_id = a.merchant_id and p.batch_number = a.batch_number
    where a.txn_type in ('SALE', 'REFUND')
)

{#- The three shapes list the same columns in the same order. -#}
select * from (
    select * from acquirer_lines
    union all
    select * from wallet_lines
    union all
    select * from adyen_lines
) as unioned
{% if is_incremental() %}
where {{ new_files_only() }}
{% endif %}
