{#- REFUND_EXCEEDS_ORIGINAL: an approved refund whose refunds so far exceed the original sale,
    or that names no original sale while the merchant's journal has no gap before it (a gap
    may hold the original: the refund waits for that journal). -#}
with txns as {{ not_materialized() }} (
    select * from {{ ref('fct_transactions') }}
),

approved_refunds as (
    select * from txns where txn_type = 'REFUND' and is_approved
),

-- Only the sales a refund names: far fewer than all sales, so the join stays small.
refunded_originals as (
    select journal_line_id, merchant_id, rrn, amount
    from txns
    where txn_type in ('SALE', 'PREAUTH_COMPLETE')
      and rrn in (select orig_rrn from approved_refunds)
),

-- The first day missing from each merchant's journal (between its first and last day): a
-- refund after it may have its original there, so "no original" waits for that journal.
journal_gaps as (
    select merchant_id, date_add(min(business_date), 1) as first_gap
    from (
        select merchant_id, business_date,
               lead(business_date) over (partition by merchant_id
                                         order by business_date asc nulls last) as next_date
        from (
            select distinct merchant_id, business_date from {{ ref('int_journal_coverage') }}
        ) as journal_days
    ) as journal_next_days
    where next_date > date_add(business_date, 1)
    group by merchant_id
),

refunds as (
    select r.*, o.journal_line_id as original_id, o.amount as original_amount,
           g.first_gap,
           sum(r.amount) over (partition by r.merchant_id, r.orig_rrn order by r.txn_time asc nulls last, r.journal_line_id asc nulls last
                               rows unbounded preceding) as cumulative_refunded
    from approved_refunds as r
    left join refunded_originals as o
        on o.merchant_id = r.merchant_id and o.rrn = r.orig_rrn
    left join journal_gaps as g on g.merchant_id = r.merchant_id
)

select
    journal_line_id as source_id,
    'REFUND_EXCEEDS_ORIGINAL' as exception_type,
    case when original_id is null then amount
         else least(amount, cumulative_refunded - original_amount) end as exposure_amount,
    'MERCHANT_SHORT' as exposure_direction,
    cast(0 as decimal(18, 2)) as recovered_amount,
    case when original_id is null then 'no original sale with rrn ' || coalesce(orig_rrn, '(none)')
         else 'refunds reach ' || cumulative_refunded || ' of an original ' || original_amount end
        as detail,
    -- The original sale (none when the refund names none the journal holds).
    original_id as related_journal_line_id
from refunds
where (original_id is null and coalesce(first_gap > business_date, true))
   or cumulative_refunded > original_amount
