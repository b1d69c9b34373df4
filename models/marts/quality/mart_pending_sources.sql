{#- What waits for a source file, per source, merchant number and day: no exception is raised
    until every source an item depends on covers its date.

      JOURNAL     settlement lines with no journal line on a merchant-day whose journal has not
                  arrived (fct_settlement_lines.match_status PENDING_JOURNAL);
      SETTLEMENT  sales whose settlement file for the expected date (or a grace day after it)
                  has not arrived (fct_transactions.match_status PENDING), and bank payouts
                  for a date without any settlement line of their merchant number;
      BANK        positive net settlements without a payout whose bank statement days (the
                  settlement date and the grace days after it) are not all covered.

    A row is a gap when the source has already delivered a later date; it is overdue by the
    days from its due date to the latest business date in the journal. -#}
with as_of as (
    select max(business_date) as as_of_date from {{ ref('fct_transactions') }}
),

journal_through as (
    select merchant_id, max(business_date) as covered_through
    from {{ ref('int_journal_coverage') }}
    group by merchant_id
),

settlement_through as (
    select acquirer, merchant_id, max(settlement_date) as covered_through
    from {{ ref('int_settlement_coverage_daily') }}
    group by acquirer, merchant_id
),

deposits as {{ not_materialized() }} (
    select * from {{ ref('int_settlement_deposits_daily') }}
),

journal_waiting as (
    select
        'JOURNAL' as source,
        'SETTLEMENT_LINE' as item_kind,
        cast(null as string) as acquirer,
        l.awaited_merchant_id as merchant_id,
        l.business_date as pending_date,
        l.business_date as due_date,
        count(*) as waiting_items,
        sum(abs(l.gross_amount)) as waiting_amount,
        min(j.covered_through) as covered_through
    from {{ ref('fct_settlement_lines') }} as l
    left join journal_through as j on j.merchant_id = l.awaited_merchant_id
    where l.match_status = 'PENDING_JOURNAL'
    group by l.awaited_merchant_id, l.business_date
),

sales_waiting as (
    select
        'SETTLEMENT' as source,
        'SALE' as item_kind,
        t.acquirer,
        t.settlement_merchant_id as merchant_id,
        t.expected_settlement_date as pending_date,
        date_add(t.expected_settlement_date, {{ var('settlement_grace_days') }}) as due_date,
        count(*) as waiting_items,
        sum(t.amount) as waiting_amount,
        min(s.covered_through) as covered_through
    from {{ ref('fct_transactions') }} as t
    left join settlement_through as s
        on s.acquirer = t.acquirer and s.merchant_id = t.settlement_merchant_id
    where t.match_status = 'PENDING'
    group by t.acquirer, t.settlement_merchant_id, t.expected_settlement_date
),

payouts_waiting as (
    select
        'SETTLEMENT' as source,
        'PAYOUT' as item_kind,
        cast(null as string) as acquirer,
        p.merchant_id,
        p.settlement_date as pending_date,
        p.settlement_date as due_date,
        count(*) as waiting_items,
        sum(p.payout_amount) as waiting_amount,
        min(s.covered_through) as covered_through
    from deposits as p
    left join (
        select merchant_id, max(covered_through) as covered_through
        from settlement_through group by merchant_id
    ) as s on s.merchant_id = p.merchant_id
    -- A payout without a net settlement for its day.
    where p.net_settlement_id is null
    group by p.merchant_id, p.settlement_date
),

net_waiting as (
    select
        'BANK' as source,
        'NET_SETTLEMENT' as item_kind,
        n.acquirer,
        n.merchant_id,
        n.settlement_date as pending_date,
        date_add(n.settlement_date, {{ var('deposit_grace_days') }}) as due_date,
        count(*) as waiting_items,
        sum(n.net_amount) as waiting_amount,
        min(n.bank_covered_through) as covered_through
    from deposits as n
    -- A positive net settlement without a payout, whose bank statement days are not all in.
    where n.net_settlement_id is not null and n.payout_id is null
      and n.net_amount > 0 and not n.is_bank_due
    group by n.acquirer, n.merchant_id, n.settlement_date
),

-- The four have the same columns in the same order.
waiting as (
    select * from journal_waiting
    union all select * from sales_waiting
    union all select * from payouts_waiting
    union all select * from net_waiting
)

select
    {{ surrogate_key(['source', 'item_kind', 'acquirer', 'merchant_id', 'pending_date']) }}
        as pending_id,
    source,
    item_kind,
    acquirer,
    merchant_id,
    pending_date,
    due_date,
    waiting_items,
    waiting_amount,
    covered_through,
    coalesce(covered_through > pending_date, false) as is_gap,
    -- A scalar subquery, not a cross join: every join in the project has an equality key.
    (select as_of_date from as_of) as as_of_date,
    greatest({{ days_between('due_date', '(select as_of_date from as_of)') }}, 0) as days_overdue
from waiting
