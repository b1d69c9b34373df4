{#- The walk from what the terminals took to what the bank credited, per settlement date ×
    acquirer × merchant number, every step a signed amount (a deduction is negative):

      terminal_sales + voided_sales + refunds                         = terminal_total
      + pending_settlement + missing_settlement + settlement_timing
      + settlement_differences                                        = settled_gross
      + fees + batch_adjustments                                      = expected_payout
      + deposits_not_due + missing_deposits + deposit_differences     = bank_deposits

    Each subtotal is read from its own source, not summed from the steps, so each stage's
    residual (subtotal minus the walk into it) is what the steps do not explain; `residual`
    is their sum: bank_deposits minus terminal_sales and every step. Decimal all through. -#}
with recon as {{ not_materialized() }} (
    select *, {{ surrogate_key(['settlement_date', 'acquirer', 'merchant_id']) }} as bridge_id
    from {{ ref('mart_reconciliation_daily') }}
),

-- On the terminal total's buckets: the expected settlement date and the acquirer and merchant
-- number that settled the line (else the expected ones).
terminal_sides as (
    select
        expected_settlement_date as settlement_date,
        coalesce(settled_acquirer, acquirer) as acquirer,
        coalesce(settled_merchant_id, settlement_merchant_id) as merchant_id,
        coalesce(sum(amount) filter (where txn_type in ('SALE', 'PREAUTH_COMPLETE')), 0)
            as terminal_sales,
        -coalesce(sum(amount) filter (
            where txn_type in ('SALE', 'PREAUTH_COMPLETE')
              and (coalesce(is_voided, false) or coalesce(is_reversed, false))), 0)
            as voided_sales,
        -coalesce(sum(amount) filter (where txn_type = 'REFUND' and is_expected_in_settlement), 0)
            as refunds
    from {{ ref('fct_transactions') }}
    where is_approved and txn_type in ('SALE', 'PREAUTH_COMPLETE', 'REFUND')
    group by
        expected_settlement_date, coalesce(settled_acquirer, acquirer),
        coalesce(settled_merchant_id, settlement_merchant_id)
),

terminal as (
    select *, {{ surrogate_key(['settlement_date', 'acquirer', 'merchant_id']) }} as bridge_id
    from terminal_sides
),

net_daily as {{ not_materialized() }} (
    select *, {{ surrogate_key(['settlement_date', 'acquirer', 'merchant_id']) }} as bridge_id
    from {{ ref('int_settlement_net_daily') }}
),

-- A payout with no net settlement of its day carries no acquirer: the one its merchant number
-- settles with on other days.
merchant_acquirer as (
    select merchant_id, min(acquirer) as acquirer
    from net_daily
    group by merchant_id
),

deposits_attributed as (
    select
        d.settlement_date,
        coalesce(d.acquirer, m.acquirer) as acquirer,
        d.merchant_id,
        d.payout_id,
        d.payout_amount,
        d.net_amount,
        d.is_bank_due,
        -- A payout joined to two net settlements (one merchant number, two acquirers) is
        -- credited once: the second row's deposit stage then shows the difference.
        row_number() over (partition by d.payout_id order by d.acquirer asc nulls last) = 1
            as is_first_row
    from {{ ref('int_settlement_deposits_daily') }} as d
    left join merchant_acquirer as m using (merchant_id)
),

deposits as (
    select *, {{ surrogate_key(['settlement_date', 'acquirer', 'merchant_id']) }} as bridge_id
    from deposits_attributed
),

keys as (
    select bridge_id, settlement_date, acquirer, merchant_id from terminal
    union
    select bridge_id, settlement_date, acquirer, merchant_id from recon
    union
    select bridge_id, settlement_date, acquirer, merchant_id from net_daily
    union
    select bridge_id, settlement_date, acquirer, merchant_id from deposits
),

walk as (
    select
        k.bridge_id,
        k.settlement_date,
        k.acquirer,
        k.merchant_id,
        coalesce(t.terminal_sales, 0) as terminal_sales,
        coalesce(t.voided_sales, 0) as voided_sales,
        coalesce(t.refunds, 0) as refunds,
        coalesce(r.terminal_total, 0) as terminal_total,
        -coalesce(r.pending_amount, 0) as pending_settlement,
        -coalesce(r.missing_amount, 0) as missing_settlement,
        coalesce(r.settled_from_earlier_amount - r.settled_later_amount, 0) as settlement_timing,
        coalesce(r.amount_differences + r.settled_not_expected_amount
                 + r.unmatched_settlement_amount, 0) as settlement_differences,
        coalesce(r.settled_gross, 0) as settled_gross,
        -coalesce(n.fee_amount, 0) as fees,
        coalesce(n.adjustment_amount, 0) as batch_adjustments,
        coalesce(n.net_amount, 0) as expected_payout,
        case when d.payout_id is null and not d.is_bank_due then -d.net_amount else 0 end
            as deposits_not_due,
        case when d.payout_id is null and d.is_bank_due then -d.net_amount else 0 end
            as missing_deposits,
        case when d.payout_id is not null then d.payout_amount - d.net_amount else 0 end
            as deposit_differences,
        case when d.payout_id is not null and d.is_first_row then d.payout_amount else 0 end
            as bank_deposits
    -- The key spells out nulls, so a null acquirer joins its own row.
    from keys as k
    left join terminal as t on t.bridge_id = k.bridge_id
    left join recon as r on r.bridge_id = k.bridge_id
    left join net_daily as n on n.bridge_id = k.bridge_id
    left join deposits as d on d.bridge_id = k.bridge_id
),

residuals as (
    select
        *,
        terminal_total - (terminal_sales + voided_sales + refunds) as terminal_residual,
        settled_gross - (terminal_total + pending_settlement + missing_settlement
                         + settlement_timing + settlement_differences) as settlement_residual,
        expected_payout - (settled_gross + fees + batch_adjustments) as payout_residual,
        bank_deposits - (expected_payout + deposits_not_due + missing_deposits
                         + deposit_differences) as deposit_residual
    from walk
)

select
    *,
    terminal_residual + settlement_residual + payout_residual + deposit_residual as residual
from residuals
