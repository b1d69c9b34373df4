{#- One row per terminal journal line with its settlement match, the fee expected and charged,
    settlement and deposit dates, response code and category, card token and mask.

    match_status: MATCHED, AMOUNT_MISMATCH, SETTLED_NOT_EXPECTED (a voided, reversed or
    unknown-outcome sale the acquirer settled), PENDING (expected, not yet due: the source's
    files for the expected settlement date and its grace days have not all arrived), MISSING
    (expected and due, no settlement line), NOT_EXPECTED (declined, cancelled or
    non-financial lines).

    Windowed: a build rewrites the lines of the build window's business dates and the older
    lines new refunds and voids refer to. The refresh starts the window at the oldest line that
    new data can change: new journal lines, lines that new settlement or bank lines reach, and
    every line still PENDING. settlement_covered_through is the coverage when the line was last
    decided. -#}
{{
    config(
        materialized='incremental',
        unique_key='journal_line_id',
        incremental_strategy=window_strategy('date'),
        partition_by=window_partition('date'),
        meta={'build_window': {'by': 'date', 'column': 'business_date'}}
    )
}}

with txns as {{ not_materialized() }} (
    {%- if is_incremental() %}
    {{ build_window_rows(ref('int_transactions_paired')) }}
    {%- else %}
    select * from {{ ref('int_transactions_paired') }}
    {%- endif %}
),

-- The settlement line each journal line is paired with, as fct_settlement_lines (built from
-- int_transactions_matched) records it: one join of the two big tables instead of two.
lines as {{ not_materialized() }} (
    select * from {{ ref('fct_settlement_lines') }}
    where journal_line_id is not null
    {%- if is_incremental() %}
    -- The window's lines only: a hash join then builds on thousands, not millions.
      and journal_line_id in (select journal_line_id from txns)
    {%- endif %}
),

-- Where a terminal's payments of each channel settle, learnt from the matches: wallet QR may
-- go to the wallet's own merchant number rather than the terminal's acquirer.
routes as (
    select terminal_id, channel, acquirer, merchant_id
    from (
        select
            terminal_id, channel, acquirer, merchant_id,
            row_number() over (
                partition by terminal_id, channel
                order by n desc nulls last, acquirer asc nulls last, merchant_id asc nulls last
            ) as route_rank
        from (
            select terminal_id, channel, acquirer, merchant_id, sum(matched_lines) as n
            from {{ ref('int_settlement_routes_daily') }}
            group by terminal_id, channel, acquirer, merchant_id
        ) as route_counts
    ) as ranked_routes
    where route_rank = 1
),

routed as {{ not_materialized() }} (
    select
        txns.*,
        coalesce(routes.acquirer, txns.terminal_acquirer) as expected_acquirer,
        coalesce(routes.merchant_id, txns.merchant_id) as expected_merchant_id
    from txns
    left join routes on routes.terminal_id = txns.terminal_id and routes.channel = txns.channel
),

terms as (
    {{ fee_terms('routed', 'expected_acquirer', 'expected_merchant_id', 'channel_group',
                 'card_type', 'business_date') }}
),

coverage as {{ not_materialized() }} (
    select * from {{ ref('int_settlement_coverage') }}
),

payouts as {{ not_materialized() }} (
    select * from {{ ref('int_bank_payouts') }}
),

settlement_days as {{ not_materialized() }} (
    select acquirer, merchant_id, settlement_date, is_due
    from {{ ref('int_settlement_coverage_daily') }}
),

joined as (
    select
        routed.*,
        lines.settlement_line_id,
        lines.match_rule,
        lines.acquirer as settled_acquirer,
        lines.merchant_id as settled_merchant_id,
        lines.gross_amount as settled_gross_amount,
        lines.fee_amount as fee_charged,
        lines.net_amount as settled_net_amount,
        lines.settlement_date,
        coalesce(lines.expected_fee_amount,
                 case when routed.txn_type in ('SALE', 'PREAUTH_COMPLETE')
                       and routed.is_expected_in_settlement
                      then {{ contract_fee('routed.amount', 'terms.rate', 'terms.fee_min', 'terms.fee_cap') }}
                      else cast(0 as decimal(18, 2)) end) as fee_expected,
        coalesce(lines.expected_settlement_date,
                 {{ expected_settlement_date('routed.txn_time', 'routed.amount', 'terms.settlement_rule',
                                             'terms.d0_min_amount', 'terms.d0_from', 'terms.d0_until') }})
            as expected_settlement_date,
        coverage.covered_through as settlement_covered_through,
        payouts.credited_on as deposit_date
    from routed
    left join lines on lines.journal_line_id = routed.journal_line_id
    left join terms
        on {{ fee_terms_join('terms', 'routed', 'expected_acquirer', 'expected_merchant_id',
                             'channel_group', 'card_type', 'business_date') }}
    left join coverage
        on coverage.acquirer = coalesce(lines.acquirer, routed.expected_acquirer)
        and coverage.merchant_id = coalesce(lines.merchant_id, routed.expected_merchant_id)
    left join payouts
        on payouts.merchant_id = lines.merchant_id and payouts.settlement_date = lines.settlement_date
),

-- Due once the source delivered the expected date and its grace days, gap or no gap elsewhere.
decided as (
    select joined.*, coalesce(settlement_days.is_due, false) as is_settlement_due
    from joined
    left join settlement_days
        on settlement_days.acquirer = coalesce(joined.settled_acquirer, joined.expected_acquirer)
        and settlement_days.merchant_id = coalesce(joined.settled_merchant_id,
                                                   joined.expected_merchant_id)
        and settlement_days.settlement_date = joined.expected_settlement_date
)

select
    journal_line_id,
    source_layout,
    merchant_id,
    store_id,
    store_name,
    terminal_id,
    batch_no,
    trace_no,
    rrn,
    auth_code,
    order_no,
    txn_time,
    business_date,
    txn_type,
    orig_trace_no,
    orig_rrn,
    channel,
    channel_group,
    card_token,
    card_mask,
    card_type,
    amount,
    currency,
    resp_code,
    resp_category,
    is_approved,
    is_unknown_outcome,
    operator_id,
    is_voided,
    voided_at,
    is_reversed,
    refund_count,
    refunded_amount,
    is_expected_in_settlement,
    expected_acquirer as acquirer,
    expected_merchant_id as settlement_merchant_id,
    settlement_line_id,
    match_rule,
    case
        when settlement_line_id is not null and not is_expected_in_settlement
            then 'SETTLED_NOT_EXPECTED'
        when settlement_line_id is not null and abs(settled_gross_amount) <> amount
            then 'AMOUNT_MISMATCH'
        when settlement_line_id is not null then 'MATCHED'
        when not is_expected_in_settlement then 'NOT_EXPECTED'
        when is_settlement_due then 'MISSING'
        else 'PENDING'
    end as match_status,
    settled_acquirer,
    settled_merchant_id,
    settled_gross_amount,
    fee_expected,
    fee_charged,
    settled_net_amount,
    expected_settlement_date,
    settlement_date,
    case when settlement_date is not null
         then greatest({{ days_between('expected_settlement_date', 'settlement_date') }}, 0) end as days_late,
    settlement_covered_through,
    deposit_date,
    file_id,
    line_no
from decided
