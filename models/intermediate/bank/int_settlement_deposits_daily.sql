{#- Each day's net settlement (int_settlement_net_daily, per acquirer and merchant number)
    beside the bank payout for that merchant number and settlement date (int_bank_payouts),
    either side alone when the other is missing, with how far the bank statements reach: the
    one place the deposit is set against the net. -#}
select
    {{ surrogate_key(['n.net_settlement_id', 'p.payout_id']) }} as deposit_check_id,
    coalesce(n.merchant_id, p.merchant_id) as merchant_id,
    coalesce(n.settlement_date, p.settlement_date) as settlement_date,
    -- The last day the payout may arrive on time.
    date_add(coalesce(n.settlement_date, p.settlement_date), {{ var('deposit_grace_days') }}) as payout_due_by,
    n.acquirer,
    coalesce(n.net_amount, 0) as net_amount,
    p.payout_amount,
    p.credited_on,
    p.payout_id,
    n.net_settlement_id,
    p.payout_amount - coalesce(n.net_amount, 0) as deposit_difference,
    bank.covered_through as bank_covered_through,
    coalesce(bank_day.is_due, false) as is_bank_due
from {{ ref('int_settlement_net_daily') }} as n
full outer join {{ ref('int_bank_payouts') }} as p
    on p.merchant_id = n.merchant_id and p.settlement_date = n.settlement_date
left join {{ ref('int_bank_coverage') }} as bank
    on bank.merchant_id = coalesce(n.merchant_id, p.merchant_id)
left join {{ ref('int_bank_coverage_daily') }} as bank_day
    on bank_day.merchant_id = coalesce(n.merchant_id, p.merchant_id)
    and bank_day.statement_date = coalesce(n.settlement_date, p.settlement_date)
