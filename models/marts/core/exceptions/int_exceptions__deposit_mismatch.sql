{#- DEPOSIT_MISMATCH: a bank payout of another amount than the day's net settlement. A payout
    for a day without settlement lines waits for that day's settlement file
    (mart_pending_sources): a gap in the settlement feed is not a deposit exception. -#}
select
    coalesce(payout_id, net_settlement_id) as source_id,
    'DEPOSIT_MISMATCH' as exception_type,
    abs(deposit_difference) as exposure_amount,
    case when payout_amount < net_amount then 'MERCHANT_SHORT' else 'UNKNOWN' end
        as exposure_direction,
    cast(0 as decimal(18, 2)) as recovered_amount,
    'bank paid ' || payout_amount || ', net settlement ' || net_amount as detail,
    cast(null as string) as related_journal_line_id,
    merchant_id,
    acquirer,
    settlement_date as business_date,
    -- The payout when there is no net (never here: kept for the column's type).
    case when net_settlement_id is null then payout_amount else net_amount end as amount
from {{ ref('int_settlement_deposits_daily') }}
where payout_amount is not null and deposit_difference <> 0
  and net_settlement_id is not null
