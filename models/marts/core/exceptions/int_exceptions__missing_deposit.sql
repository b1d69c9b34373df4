{#- MISSING_DEPOSIT: no payout of a positive net settlement within var('deposit_grace_days'),
    judged only when the bank statements cover the settlement date and its grace days (a
    missing statement day is a gap: the net waits). A payout that arrives later still leaves
    the exception on record, recovered by what arrived. -#}
select
    net_settlement_id as source_id,
    'MISSING_DEPOSIT' as exception_type,
    net_amount as exposure_amount,
    'MERCHANT_SHORT' as exposure_direction,
    least(coalesce(payout_amount, 0), net_amount) as recovered_amount,
    'net ' || net_amount || ' for ' || settlement_date
        || coalesce(', paid late on ' || credited_on, ', no payout')
        || '; bank statements reach ' || bank_covered_through as detail,
    cast(null as string) as related_journal_line_id,
    merchant_id,
    acquirer,
    settlement_date as business_date,
    net_amount as amount
from {{ ref('int_settlement_deposits_daily') }}
where net_amount > 0
  and (payout_amount is null
       or credited_on > date_add(settlement_date, {{ var('deposit_grace_days') }}))
  and is_bank_due
