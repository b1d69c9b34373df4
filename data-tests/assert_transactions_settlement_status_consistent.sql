{#- Every fct_transactions line expected in settlement has exactly one of MATCHED,
    AMOUNT_MISMATCH (both with a settlement line), PENDING or MISSING (both without); a line
    not expected is SETTLED_NOT_EXPECTED (with a line) or NOT_EXPECTED (without). -#}
select
    journal_line_id,
    txn_type,
    is_expected_in_settlement,
    settlement_line_id,
    match_status
from {{ ref('fct_transactions') }}
where is_expected_in_settlement is null
   or match_status is null
   or case
        when is_expected_in_settlement and settlement_line_id is not null
            then match_status not in ('MATCHED', 'AMOUNT_MISMATCH')
        when is_expected_in_settlement
            then match_status not in ('PENDING', 'MISSING')
        when settlement_line_id is not null
            then match_status <> 'SETTLED_NOT_EXPECTED'
        else match_status <> 'NOT_EXPECTED'
      end
