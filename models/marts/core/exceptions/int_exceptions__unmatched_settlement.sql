{#- UNMATCHED_SETTLEMENT: a settlement line no journal line explains, once every journal that
    could hold it has arrived (a PENDING_JOURNAL line waits). -#}
select
    settlement_line_id as source_id,
    'UNMATCHED_SETTLEMENT' as exception_type,
    abs(gross_amount) as exposure_amount,
    'UNKNOWN' as exposure_direction,
    cast(0 as decimal(18, 2)) as recovered_amount,
    source_layout || ' line ' || line_no || ', ' || txn_type || ' ' || gross_amount as detail,
    cast(null as string) as related_journal_line_id
from {{ ref('fct_settlement_lines') }}
where match_status = 'UNMATCHED'
