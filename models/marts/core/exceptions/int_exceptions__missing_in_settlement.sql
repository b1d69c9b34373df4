{#- MISSING_IN_SETTLEMENT: a sale the acquirer should have settled by now (match_status
    MISSING), with how far today's settlement files reach. -#}
select
    sales.journal_line_id as source_id,
    'MISSING_IN_SETTLEMENT' as exception_type,
    sales.amount as exposure_amount,
    'MERCHANT_SHORT' as exposure_direction,
    cast(0 as decimal(18, 2)) as recovered_amount,
    'expected on ' || sales.expected_settlement_date || ' from ' || coalesce(sales.acquirer, '?')
        || '; files cover through ' || coverage.covered_through as detail,
    cast(null as string) as related_journal_line_id
from {{ ref('fct_transactions') }} as sales
-- Today's coverage: fct_transactions keeps the coverage of the build that decided the line.
left join {{ ref('int_settlement_coverage') }} as coverage
    on coverage.acquirer = sales.acquirer
    and coverage.merchant_id = sales.settlement_merchant_id
where sales.txn_type = 'SALE' and sales.match_status = 'MISSING'
