{#- FEE_MISMATCH: a settlement line charged a fee more than var('fee_tolerance') away from its
    contract's. -#}
select
    settlement_line_id as source_id,
    'FEE_MISMATCH' as exception_type,
    cast(abs(fee_difference) as decimal(18, 2)) as exposure_amount,
    case when fee_difference > 0 then 'FEE_OVERCHARGE' else 'UNKNOWN' end as exposure_direction,
    cast(0 as decimal(18, 2)) as recovered_amount,
    'charged ' || fee_amount_exact || ', contract ' || expected_fee_amount || ' at rate '
        || contract_rate as detail,
    cast(null as string) as related_journal_line_id
from {{ ref('fct_settlement_lines') }}
-- A line waiting for its journal waits whole: its contract may depend on the journal's
-- card type and channel.
where txn_type <> 'REFUND' and abs(fee_difference) > {{ var('fee_tolerance') }}
  and match_status <> 'PENDING_JOURNAL'
