{#- Totals tie: per acquirer × merchant number × settlement date, the sum of
    fct_settlement_lines.net_amount equals int_settlement_net_daily.net_amount minus its
    batch adjustments (what the bank payout is compared with is exactly the lines plus the
    adjustments). -#}
with lines as (
    select acquirer, merchant_id, settlement_date, sum(net_amount) as lines_net_amount
    from {{ ref('fct_settlement_lines') }}
    group by acquirer, merchant_id, settlement_date
),

net_daily as (
    select acquirer, merchant_id, settlement_date,
           net_amount - adjustment_amount as net_without_adjustments
    from {{ ref('int_settlement_net_daily') }}
)

select
    coalesce(l.acquirer, n.acquirer) as acquirer,
    coalesce(l.merchant_id, n.merchant_id) as merchant_id,
    coalesce(l.settlement_date, n.settlement_date) as settlement_date,
    l.lines_net_amount,
    n.net_without_adjustments
from lines as l
full outer join net_daily as n
    on n.acquirer = l.acquirer and n.merchant_id = l.merchant_id
    and n.settlement_date = l.settlement_date
where coalesce(l.lines_net_amount, 0) is distinct from coalesce(n.net_without_adjustments, 0)
