{#- VOID_SETTLED: a voided sale that the acquirer settled all the same. -#}
select
    journal_line_id as source_id,
    'VOID_SETTLED' as exception_type,
    amount as exposure_amount,
    'CUSTOMER_OVERCHARGED' as exposure_direction,
    cast(0 as decimal(18, 2)) as recovered_amount,
    'voided at ' || strftime(voided_at, '%H:%M:%S') || ', settled on ' || settlement_date as detail
from {{ ref('fct_transactions') }}
where txn_type = 'SALE' and is_voided and settlement_line_id is not null
