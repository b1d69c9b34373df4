{#- One row per settlement line of every layout, normalised, with its terminal match, the
    contract fee on the settled amount and the promised settlement date.

    Windowed: a build rewrites the lines dated from the day before the window on and the lines
    paired in the window; business_date is the matched journal line's, else the line's own. -#}
{{
    config(
        materialized='incremental',
        unique_key='settlement_line_id',
        incremental_strategy='delete+insert',
        pre_hook="{{ delete_build_window() }}"
    )
}}

with matches as not materialized (
    select * from {{ ref('int_transactions_matched') }}
),

lines as not materialized (
    select * from {{ ref('int_settlement_lines_unioned') }}
    {%- if is_incremental() %}
    where {{ in_build_window('txn_date', days_before=1) }}
       or settlement_line_id in (
           select settlement_line_id from matches where {{ in_build_window('business_date') }})
    {%- endif %}
),

journal as (
    select journal_line_id, card_type as journal_card_type, txn_time as journal_txn_time,
           channel as journal_channel, channel_group as journal_channel_group
    from {{ ref('int_transactions_paired') }}
    {%- if is_incremental() %}
    -- Only the journal lines paired with this build's lines: a small hash join.
    where journal_line_id in (
        select journal_line_id from matches
        where settlement_line_id in (select settlement_line_id from lines))
    {%- endif %}
),

enriched as not materialized (
    select
        lines.*,
        matches.journal_line_id,
        matches.match_rule,
        -- Layouts that do not say the channel (Adyen) take it from the matched journal line.
        case when lines.source_layout = 'adyen_sdr'
             then coalesce(journal.journal_channel_group, lines.channel_group)
             else lines.channel_group end as contract_channel_group,
        case when lines.card_type in ('DEBIT', 'CREDIT') then lines.card_type
             else coalesce(journal.journal_card_type, 'UNKNOWN') end as contract_card_type,
        coalesce(journal.journal_txn_time, lines.txn_time) as effective_txn_time,
        cast(coalesce(journal.journal_txn_time, lines.txn_time) as date) as business_date
    from lines
    left join matches using (settlement_line_id)
    left join journal using (journal_line_id)
),

terms as (
    {{ fee_terms('enriched', 'acquirer', 'merchant_id', 'contract_channel_group',
                 'contract_card_type', 'business_date') }}
),

priced as (
    select
        enriched.*,
        terms.fee_contract_id,
        terms.rate as contract_rate,
        case when enriched.txn_type = 'REFUND' then cast(0 as decimal(18, 2))
             else {{ contract_fee('enriched.gross_amount', 'terms.rate', 'terms.fee_min', 'terms.fee_cap') }}
        end as expected_fee_amount,
        {{ expected_settlement_date('enriched.effective_txn_time', 'enriched.gross_amount',
                                    'terms.settlement_rule', 'terms.d0_min_amount',
                                    'terms.d0_from', 'terms.d0_until') }} as expected_settlement_date
    from enriched
    left join terms
        on {{ fee_terms_join('terms', 'enriched', 'acquirer', 'merchant_id', 'contract_channel_group',
                             'contract_card_type', 'business_date') }}
)

select
    settlement_line_id,
    source_layout,
    acquirer,
    merchant_id,
    terminal_id,
    batch_no,
    trace_no,
    rrn,
    order_no,
    txn_type,
    contract_channel_group as channel_group,
    qr_channel,
    contract_card_type as card_type,
    card_token,
    card_mask,
    txn_time,
    business_date,
    currency,
    gross_amount,
    fee_amount,
    fee_amount_exact,
    net_amount,
    settlement_date,
    fee_contract_id,
    contract_rate,
    expected_fee_amount,
    fee_amount_exact - expected_fee_amount as fee_difference,
    expected_settlement_date,
    greatest(datediff('day', expected_settlement_date, settlement_date), 0) as days_late,
    journal_line_id,
    match_rule,
    journal_line_id is not null as is_matched,
    file_id,
    line_no
from priced
