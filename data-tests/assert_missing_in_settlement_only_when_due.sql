{#- No MISSING_IN_SETTLEMENT for a sale whose settlement coverage does not reach its expected
    settlement date + var('settlement_grace_days'): before that it is PENDING. Also, the sale
    really has no settlement line. -#}
select
    e.exception_id,
    e.journal_line_id,
    t.expected_settlement_date,
    t.settlement_covered_through,
    t.settlement_line_id
from {{ ref('fct_exceptions') }} as e
left join {{ ref('fct_transactions') }} as t on t.journal_line_id = e.journal_line_id
where e.exception_type = 'MISSING_IN_SETTLEMENT'
  and (
    t.journal_line_id is null
    or t.settlement_line_id is not null
    or t.settlement_covered_through is null
    or t.expected_settlement_date is null
    or t.settlement_covered_through
        < date_add(t.expected_settlement_date, {{ var('settlement_grace_days') }})
  )
