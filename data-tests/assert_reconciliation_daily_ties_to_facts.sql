{#- Totals tie to the fen: per settlement date × acquirer × merchant number,
    mart_reconciliation_daily's settled gross, fees and net equal the sums of
    fct_settlement_lines, and its terminal total equals the signed sum of the fct_transactions
    lines expected to settle there. Returns every key where a figure differs. -#}
with lines as (
    select settlement_date, acquirer, merchant_id,
           sum(gross_amount) as settled_gross, sum(fee_amount) as fee_amount,
           sum(net_amount) as net_amount
    from {{ ref('fct_settlement_lines') }}
    group by settlement_date, acquirer, merchant_id
),

terminal as (
    select
        expected_settlement_date as settlement_date,
        coalesce(settled_acquirer, acquirer) as acquirer,
        coalesce(settled_merchant_id, settlement_merchant_id) as merchant_id,
        sum(case when txn_type = 'REFUND' then -amount else amount end) as terminal_total
    from {{ ref('fct_transactions') }}
    where is_expected_in_settlement
    group by expected_settlement_date, coalesce(settled_acquirer, acquirer),
             coalesce(settled_merchant_id, settlement_merchant_id)
),

facts as (
    select
        coalesce(l.settlement_date, t.settlement_date) as settlement_date,
        coalesce(l.acquirer, t.acquirer) as acquirer,
        coalesce(l.merchant_id, t.merchant_id) as merchant_id,
        coalesce(l.settled_gross, 0) as settled_gross,
        coalesce(l.fee_amount, 0) as fee_amount,
        coalesce(l.net_amount, 0) as net_amount,
        coalesce(t.terminal_total, 0) as terminal_total
    from lines as l
    full outer join terminal as t
        on t.settlement_date is not distinct from l.settlement_date
        and t.acquirer is not distinct from l.acquirer
        and t.merchant_id is not distinct from l.merchant_id
),

mart as (
    select settlement_date, acquirer, merchant_id,
           sum(settled_gross) as settled_gross, sum(fee_amount) as fee_amount,
           sum(net_amount) as net_amount, sum(terminal_total) as terminal_total
    from {{ ref('mart_reconciliation_daily') }}
    group by settlement_date, acquirer, merchant_id
)

select
    coalesce(f.settlement_date, m.settlement_date) as settlement_date,
    coalesce(f.acquirer, m.acquirer) as acquirer,
    coalesce(f.merchant_id, m.merchant_id) as merchant_id,
    f.settled_gross as facts_settled_gross, m.settled_gross as mart_settled_gross,
    f.fee_amount as facts_fee_amount, m.fee_amount as mart_fee_amount,
    f.net_amount as facts_net_amount, m.net_amount as mart_net_amount,
    f.terminal_total as facts_terminal_total, m.terminal_total as mart_terminal_total
from facts as f
full outer join mart as m
    on m.settlement_date is not distinct from f.settlement_date
    and m.acquirer is not distinct from f.acquirer
    and m.merchant_id is not distinct from f.merchant_id
where coalesce(f.settled_gross, 0) <> coalesce(m.settled_gross, 0)
   or coalesce(f.fee_amount, 0) <> coalesce(m.fee_amount, 0)
   or coalesce(f.net_amount, 0) <> coalesce(m.net_amount, 0)
   or coalesce(f.terminal_total, 0) <> coalesce(m.terminal_total, 0)
