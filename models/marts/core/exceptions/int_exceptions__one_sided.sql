{#- ONE_SIDED: a sale the terminal saw time out, get no response or reversed (not voided),
    that the acquirer settled. -#}
with txns as {{ not_materialized() }} (
    select * from {{ ref('fct_transactions') }}
),

-- The reversal of each reversed sale (its first, should a terminal send two).
reversals as (
    select terminal_id, batch_no, orig_trace_no, min(journal_line_id) as reversal_journal_line_id
    from txns
    where txn_type = 'REVERSAL' and orig_trace_no is not null
    group by terminal_id, batch_no, orig_trace_no
)

select
    sales.journal_line_id as source_id,
    'ONE_SIDED' as exception_type,
    sales.amount as exposure_amount,
    'CUSTOMER_OVERCHARGED' as exposure_direction,
    cast(0 as decimal(18, 2)) as recovered_amount,
    'terminal saw ' || coalesce('response ' || sales.resp_code, 'no response')
        || case when sales.is_reversed then ', reversed' else '' end
        || '; settled on ' || sales.settlement_date as detail,
    -- The reversal, for the exception's file (none when the sale was not reversed).
    reversals.reversal_journal_line_id as related_journal_line_id
from txns as sales
left join reversals
    on sales.is_reversed
    and reversals.terminal_id = sales.terminal_id
    and reversals.batch_no = sales.batch_no
    and reversals.orig_trace_no = sales.trace_no
where sales.txn_type = 'SALE'
  and not sales.is_voided and (sales.is_unknown_outcome or sales.is_reversed)
  and sales.settlement_line_id is not null
