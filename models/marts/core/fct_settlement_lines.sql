{#- One row per settlement line of every layout, normalised, with its terminal match, the
    contract fee on the settled amount and the promised settlement date.

    The promise (D0 or T1, the D0 minimum and window) is judged from the till: the matched
    journal line's time and amount, so that an acquirer's wrong amount is an AMOUNT_MISMATCH
    and never also moves the promised date. An unmatched line is PENDING_JOURNAL while a
    journal that could hold it (int_settlement_journal_merchants) has not covered its date,
    UNMATCHED once every one has.

    Windowed: a build rewrites the lines dated from the day before the window on and the lines
    paired in the window; business_date is the matched journal line's, else the line's own. -#}
{{
    config(
        materialized=keyed_incremental(),
        unique_key='settlement_line_id',
        incremental_strategy='delete+insert',
        meta={'build_window': {'by': 'date', 'column': 'business_date'}}
    )
}}

with matches as {{ not_materialized() }} (
    select * from {{ ref('int_transactions_matched') }}
),

lines as {{ not_materialized() }} (
    select * from {{ ref('int_settlement_lines_unioned') }}
    {%- if is_incremental() %}
    where {{ in_build_window('txn_date', days_before=1) }}
       or settlement_line_id in (
           select settlement_line_id from matches where {{ in_build_window('business_date') }})
    {%- endif %}
),

journal as (
    select journal_line_id, card_type as journal_card_type, txn_time as journal_txn_time,
           amount as journal_amount, channel as journal_channel,
           channel_group as journal_channel_group
    from {{ ref('int_transactions_paired') }}
    {%- if is_incremental() %}
    -- Only the journal lines paired with this build's lines: a small hash join.
    where journal_line_id in (
        select journal_line_id from matches
        where settlement_line_id in (select settlement_line_id from lines))
    {%- endif %}
),

enriched as {{ not_materialized() }} (
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
        coalesce(journal.journal_amount, lines.gross_amount) as promise_amount,
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
        {{ expected_settlement_date('enriched.effective_txn_time', 'enriched.promise_amount',
                                    'terms.settlement_rule', 'terms.d0_min_amount',
                                    'terms.d0_from', 'terms.d0_until') }} as expected_settlement_date
    from enriched
    left join terms
        on {{ fee_terms_join('terms', 'enriched', 'acquirer', 'merchant_id', 'contract_channel_group',
                             'contract_card_type', 'business_date') }}
),

-- Unmatched lines only, by settlement key and day: does every journal that could hold them
-- cover that day?
journal_days as (
    select distinct merchant_id, business_date from {{ ref('int_journal_coverage') }}
),

waiting as (
    select
        u.acquirer as w_acquirer, u.merchant_id as w_merchant_id,
        u.terminal_id as w_terminal_id, u.business_date as w_business_date,
        bool_and(d.merchant_id is not null) as is_journal_covered,
        min(case when d.merchant_id is null then m.journal_merchant_id end) as awaited_merchant_id
    from (
        -- The keys of unmatched lines (their business date is their own).
        select distinct acquirer, merchant_id, terminal_id, cast(txn_time as date) as business_date
        from lines
        where not exists (
            select 1 from matches where matches.settlement_line_id = lines.settlement_line_id)
    ) as u
    join {{ ref('int_settlement_journal_merchants') }} as m
        on m.acquirer = u.acquirer and m.merchant_id = u.merchant_id
        and m.terminal_id is not distinct from u.terminal_id
    left join journal_days as d
        on d.merchant_id = m.journal_merchant_id and d.business_date = u.business_date
    group by u.acquirer, u.merchant_id, u.terminal_id, u.business_date
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
    greatest({{ days_between('expected_settlement_date', 'settlement_date') }}, 0) as days_late,
    journal_line_id,
    match_rule,
    journal_line_id is not null as is_matched,
    case
        when journal_line_id is not null then 'MATCHED'
        when coalesce(waiting.is_journal_covered, true) then 'UNMATCHED'
        else 'PENDING_JOURNAL'
    end as match_status,
    case when journal_line_id is null and not waiting.is_journal_covered
         then waiting.awaited_merchant_id end as awaited_merchant_id,
    file_id,
    line_no
from priced
left join waiting
    on journal_line_id is null
    and w_acquirer = priced.acquirer
    and w_merchant_id = priced.merchant_id
    and w_terminal_id is not distinct from priced.terminal_id
    and w_business_date = priced.business_date
