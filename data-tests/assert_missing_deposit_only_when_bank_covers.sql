{#- No MISSING_DEPOSIT unless the bank statements carrying that merchant number reach the
    settlement date + var('deposit_grace_days'), and no MISSING_DEPOSIT for a day that has a
    payout. -#}
select
    e.exception_id,
    e.merchant_id,
    e.business_date as settlement_date,
    b.covered_through as bank_covered_through,
    p.payout_id
from {{ ref('fct_exceptions') }} as e
left join {{ ref('int_bank_coverage') }} as b on b.merchant_id = e.merchant_id
left join {{ ref('int_bank_payouts') }} as p
    on p.merchant_id = e.merchant_id and p.settlement_date = e.business_date
where e.exception_type = 'MISSING_DEPOSIT'
  and (
    b.covered_through is null
    or b.covered_through < date_add(e.business_date, {{ var('deposit_grace_days') }})
    or p.payout_id is not null
  )
