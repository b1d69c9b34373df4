{#- Per settlement date × acquirer × merchant number (as the settlement names it): what the
    terminals say should settle, what was settled, fees, net, the bank deposit, every known
    difference, and the unexplained residual:

      settled_gross = terminal_total − missing − pending − settled_later + settled_from_earlier
                      + amount_differences + settled_not_expected + unmatched_settlement
                      + unexplained_residual
-#}
with txns as (
    select
        *,
        case when txn_type = 'REFUND' then -amount else amount end as signed_amount,
        coalesce(settled_acquirer, acquirer) as recon_acquirer,
        coalesce(settled_merchant_id, settlement_merchant_id) as recon_merchant_id
    from {{ ref('fct_transactions') }}
),

lines as (
    select l.*, t.is_expected_in_settlement, t.expected_settlement_date as journal_expected_date,
           t.signed_amount as journal_signed_amount
    from {{ ref('fct_settlement_lines') }} as l
    left join txns as t on t.journal_line_id = l.journal_line_id
),

terminal_side as (
    select
        expected_settlement_date as settlement_date,
        recon_acquirer as acquirer,
        recon_merchant_id as merchant_id,
        count(*) as terminal_transactions,
        sum(signed_amount) as terminal_total,
        coalesce(sum(signed_amount) filter (where match_status = 'MISSING'), 0) as missing_amount,
        coalesce(sum(signed_amount) filter (where match_status = 'PENDING'), 0) as pending_amount,
        coalesce(sum(signed_amount) filter (
            where settlement_line_id is not null and settlement_date <> expected_settlement_date), 0)
            as settled_later_amount
    from txns
    where is_expected_in_settlement
    group by expected_settlement_date, recon_acquirer, recon_merchant_id
),

settlement_side as (
    select
        settlement_date,
        acquirer,
        merchant_id,
        count(*) as settlement_lines,
        sum(gross_amount) as settled_gross,
        sum(fee_amount) as fee_amount,
        sum(expected_fee_amount) as expected_fee_amount,
        sum(net_amount) as net_amount,
        coalesce(sum(journal_signed_amount) filter (
            where is_expected_in_settlement and journal_expected_date <> settlement_date), 0)
            as settled_from_earlier_amount,
        coalesce(sum(gross_amount - journal_signed_amount) filter (where is_expected_in_settlement), 0)
            as amount_differences,
        coalesce(sum(gross_amount) filter (where is_matched and not is_expected_in_settlement), 0)
            as settled_not_expected_amount,
        coalesce(sum(gross_amount) filter (where not is_matched), 0) as unmatched_settlement_amount
    from lines
    group by settlement_date, acquirer, merchant_id
),

net_daily as {{ not_materialized() }} (
    select * from {{ ref('int_settlement_net_daily') }}
),

payouts as {{ not_materialized() }} (
    select * from {{ ref('int_bank_payouts') }}
),

combined as (
    select
        coalesce(s.settlement_date, t.settlement_date) as settlement_date,
        coalesce(s.acquirer, t.acquirer) as acquirer,
        coalesce(s.merchant_id, t.merchant_id) as merchant_id,
        coalesce(t.terminal_transactions, 0) as terminal_transactions,
        coalesce(t.terminal_total, 0) as terminal_total,
        coalesce(s.settlement_lines, 0) as settlement_lines,
        coalesce(s.settled_gross, 0) as settled_gross,
        coalesce(s.fee_amount, 0) as fee_amount,
        coalesce(s.expected_fee_amount, 0) as expected_fee_amount,
        coalesce(s.net_amount, 0) as net_amount,
        coalesce(t.missing_amount, 0) as missing_amount,
        coalesce(t.pending_amount, 0) as pending_amount,
        coalesce(t.settled_later_amount, 0) as settled_later_amount,
        coalesce(s.settled_from_earlier_amount, 0) as settled_from_earlier_amount,
        coalesce(s.amount_differences, 0) as amount_differences,
        coalesce(s.settled_not_expected_amount, 0) as settled_not_expected_amount,
        coalesce(s.unmatched_settlement_amount, 0) as unmatched_settlement_amount
    from settlement_side as s
    full outer join terminal_side as t
        on t.settlement_date = s.settlement_date and t.acquirer = s.acquirer
        and t.merchant_id = s.merchant_id
)

select
    {{ surrogate_key(['c.settlement_date', 'c.acquirer', 'c.merchant_id']) }} as reconciliation_id,
    c.*,
    coalesce(n.adjustment_amount, 0) as batch_adjustment_amount,
    p.payout_amount as bank_deposit_amount,
    p.credited_on as bank_deposit_date,
    p.payout_amount - coalesce(n.net_amount, c.net_amount) as deposit_difference,
    c.settled_gross - (
        c.terminal_total - c.missing_amount - c.pending_amount - c.settled_later_amount
        + c.settled_from_earlier_amount + c.amount_differences + c.settled_not_expected_amount
        + c.unmatched_settlement_amount
    ) as unexplained_residual
from combined as c
left join net_daily as n
    on n.acquirer = c.acquirer and n.merchant_id = c.merchant_id
    and n.settlement_date = c.settlement_date
left join payouts as p
    on p.merchant_id = c.merchant_id and p.settlement_date = c.settlement_date
