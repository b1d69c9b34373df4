{#- AMOUNT_MISMATCH: a journal line matched to a settlement line of another amount. -#}
select
    journal_line_id as source_id,
    'AMOUNT_MISMATCH' as exception_type,
    abs(amount - abs(settled_gross_amount)) as exposure_amount,
    -- A sale settled short leaves the merchant short; a refund settled short leaves the
    -- customer owed.
    case when (abs(settled_gross_amount) < amount) = (txn_type <> 'REFUND')
         then 'MERCHANT_SHORT' else 'CUSTOMER_OVERCHARGED' end as exposure_direction,
    cast(0 as decimal(18, 2)) as recovered_amount,
    'terminal ' || amount || ', settled ' || abs(settled_gross_amount) || ' (' || match_rule || ')'
        as detail,
    cast(null as string) as related_journal_line_id
from {{ ref('fct_transactions') }}
where match_status = 'AMOUNT_MISMATCH'
