{#- LATE_SETTLEMENT: a sale or pre-authorisation completion settled after the promised date. -#}
select
    journal_line_id as source_id,
    'LATE_SETTLEMENT' as exception_type,
    cast(0 as decimal(18, 2)) as exposure_amount,
    'UNKNOWN' as exposure_direction,
    cast(0 as decimal(18, 2)) as recovered_amount,
    'promised ' || expected_settlement_date || ', settled ' || settlement_date || ' ('
        || days_late || ' days late)' as detail,
    cast(null as string) as related_journal_line_id
from {{ ref('fct_transactions') }}
where is_expected_in_settlement and txn_type in ('SALE', 'PREAUTH_COMPLETE')
  and settlement_date > expected_settlement_date
