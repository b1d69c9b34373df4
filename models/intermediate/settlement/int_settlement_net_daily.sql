{#- Net settlement per source, merchant number and settlement date: what the bank payout should
    be. Adyen's batch-level rows (fees, invoice deductions) count towards the net. -#}
with line_net as (
    select acquirer, merchant_id, settlement_date, sum(net_amount) as net_amount,
           sum(gross_amount) as gross_amount, sum(fee_amount) as fee_amount, count(*) as lines
    from {{ ref('int_settlement_lines_unioned') }}
    group by acquirer, merchant_id, settlement_date
),

adyen_adjustments as (
    select 'ADYEN' as acquirer, a.merchant_id,
           coalesce(p.payout_date, a.booking_date, cast(a.txn_time as date)) as settlement_date,
           cast(sum(a.net_amount) as decimal(18, 2)) as net_amount
    from {{ ref('stg_adyen__settlement_lines') }} as a
    left join {{ ref('int_adyen_batches') }} as p
        on p.merchant_id = a.merchant_id and p.batch_number = a.batch_number
    where a.txn_type in ('OTHER', 'CHARGEBACK')
    group by a.merchant_id, coalesce(p.payout_date, a.booking_date, cast(a.txn_time as date))
),

combined as (
    select
        coalesce(l.acquirer, a.acquirer) as acquirer,
        coalesce(l.merchant_id, a.merchant_id) as merchant_id,
        coalesce(l.settlement_date, a.settlement_date) as settlement_date,
        coalesce(l.gross_amount, 0) as gross_amount,
        coalesce(l.fee_amount, 0) as fee_amount,
        coalesce(a.net_amount, 0) as adjustment_amount,
        coalesce(l.net_amount, 0) + coalesce(a.net_amount, 0) as net_amount,
        coalesce(l.lines, 0) as lines
    from line_net as l
    full outer join adyen_adjustments as a
        on a.acquirer = l.acquirer and a.merchant_id = l.merchant_id
        and a.settlement_date = l.settlement_date
)

select
    {{ surrogate_key(['acquirer', 'merchant_id', 'settlement_date']) }} as net_settlement_id,
    *
from combined
