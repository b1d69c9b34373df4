{#- ONE_SIDED: a sale the terminal saw time out, get no response or reversed (not voided),
    that the acquirer settled. -#}
select
    journal_line_id as source_id,
    'ONE_SIDED' as exception_type,
    amount as exposure_amount,
    'CUSTOMER_OVERCHARGED' as exposure_direction,
    cast(0 as decimal(18, 2)) as recovered_amount,
    'terminal saw ' || coalesce('response ' || resp_code, 'no response')
        || case when is_reversed then ', reversed' else '' end
        || '; settled on ' || settlement_date as detail
from {{ ref('fct_transactions') }}
where txn_type = 'SALE'
  and not is_voided and (is_unknown_outcome or is_reversed) and settlement_line_id is not null
