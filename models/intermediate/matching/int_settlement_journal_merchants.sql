{#- Whose journal a settlement line should be in: for each settlement key (acquirer, merchant
    number as the settlement names it, terminal or device) the journal merchant numbers that
    could hold its terminal record. An unmatched line waits while any of them lacks a journal
    for the line's date (fct_settlement_lines.match_status PENDING_JOURNAL).

    The first way that finds a merchant wins:
      TERMINAL         the line's terminal, as the journal or the terminal register knows it;
      ROUTE            the journal merchants whose terminals' payments were matched to this
                       acquirer and merchant number (a line without a terminal: Adyen);
      MERCHANT_NUMBER  the settlement's merchant number is itself a journal merchant number.
    A key none of them maps has no journal to wait for: its unmatched lines are exceptions. -#}
with keys as (
    select distinct acquirer, merchant_id, terminal_id
    from {{ ref('int_settlement_lines_unioned') }}
),

terminal_merchants as (
    select distinct terminal_id, merchant_id as journal_merchant_id
    from {{ ref('int_journal_coverage') }}
    union
    select terminal_id, merchant_id
    from {{ ref('stg_reference__terminals') }}
    where terminal_id is not null and merchant_id is not null
),

routes as (
    select distinct r.acquirer, r.merchant_id, t.journal_merchant_id
    from {{ ref('int_settlement_routes_daily') }} as r
    join terminal_merchants as t on t.terminal_id = r.terminal_id
),

candidates as (
    select k.acquirer, k.merchant_id, k.terminal_id, t.journal_merchant_id,
           1 as preference, 'TERMINAL' as mapped_by
    from keys as k
    join terminal_merchants as t on t.terminal_id = k.terminal_id
    union all
    select k.acquirer, k.merchant_id, k.terminal_id, r.journal_merchant_id, 2, 'ROUTE'
    from keys as k
    join routes as r on r.acquirer = k.acquirer and r.merchant_id = k.merchant_id
    union all
    select k.acquirer, k.merchant_id, k.terminal_id, k.merchant_id, 3, 'MERCHANT_NUMBER'
    from keys as k
    where k.merchant_id in (select journal_merchant_id from terminal_merchants)
)

select
    {{ surrogate_key(['acquirer', 'merchant_id', 'terminal_id', 'journal_merchant_id']) }}
        as settlement_journal_id,
    acquirer,
    merchant_id,
    terminal_id,
    journal_merchant_id,
    mapped_by
from (
    select
        *,
        min(preference) over (partition by acquirer, merchant_id, terminal_id) as best_preference
    from candidates
) as ranked
where preference = best_preference
