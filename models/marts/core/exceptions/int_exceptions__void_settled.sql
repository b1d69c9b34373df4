{#- VOID_SETTLED: a voided sale that the acquirer settled all the same. -#}
with txns as {{ not_materialized() }} (
    select * from {{ ref('fct_transactions') }}
),

-- The approved void of each voided sale (its first, should a terminal send two).
voids as (
    select terminal_id, batch_no, orig_trace_no, min(journal_line_id) as void_journal_line_id
    from txns
    where txn_type = 'VOID' and is_approved and orig_trace_no is not null
    group by terminal_id, batch_no, orig_trace_no
)

select
    sales.journal_line_id as source_id,
    'VOID_SETTLED' as exception_type,
    sales.amount as exposure_amount,
    'CUSTOMER_OVERCHARGED' as exposure_direction,
    cast(0 as decimal(18, 2)) as recovered_amount,
    'voided at ' || {{ clock_time('sales.voided_at') }} || ', settled on '
        || sales.settlement_date as detail,
    -- The void itself, for the exception's file.
    voids.void_journal_line_id as related_journal_line_id
from txns as sales
left join voids
    on voids.terminal_id = sales.terminal_id
    and voids.batch_no = sales.batch_no
    and voids.orig_trace_no = sales.trace_no
where sales.txn_type = 'SALE' and sales.is_voided and sales.settlement_line_id is not null
