{#- mart_reconciliation_daily: the identity holds exactly on every row (nulls count as broken):
      settled_gross = terminal_total − missing − pending − settled_later + settled_from_earlier
                      + amount_differences + settled_not_expected + unmatched_settlement
                      + unexplained_residual -#}
select
    reconciliation_id,
    settlement_date,
    acquirer,
    merchant_id,
    settled_gross,
    terminal_total - missing_amount - pending_amount - settled_later_amount
        + settled_from_earlier_amount + amount_differences + settled_not_expected_amount
        + unmatched_settlement_amount + unexplained_residual as right_hand_side
from {{ ref('mart_reconciliation_daily') }}
where settled_gross is distinct from (
    terminal_total - missing_amount - pending_amount - settled_later_amount
    + settled_from_earlier_amount + amount_differences + settled_not_expected_amount
    + unmatched_settlement_amount + unexplained_residual
)
