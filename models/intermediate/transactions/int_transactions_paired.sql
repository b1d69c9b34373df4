{#- Each journal line with its terminal's store and acquirer, its response category, and what
    happened to it later at the terminal: a SALE with its VOID or
    REVERSAL (same terminal and batch, orig_trace_no), with its REFUNDs (orig_rrn), a
    PREAUTH_COMPLETE with its PREAUTH.

    Windowed: a build recomputes the lines of the build window's business dates and the older
    lines that new refunds, voids and reversals refer to. Their cancellations, refunds and
    preauthorisations are looked up among all journal lines (they are few), so a line rebuilt
    today sees the refund of last month too. -#}
{{
    config(
        materialized=keyed_incremental(),
        unique_key='journal_line_id',
        incremental_strategy='delete+insert',
        meta={'build_window': {'by': 'date', 'column': 'business_date'}}
    )
}}

with all_journal as {{ not_materialized() }} (
    select * from {{ ref('int_transactions_unioned') }}
),

journal as {{ not_materialized() }} (
    {%- if is_incremental() %}
    {{ build_window_rows(ref('int_transactions_unioned')) }}
    {%- else %}
    select * from all_journal
    {%- endif %}
),

terminals as {{ not_materialized() }} (
    select * from {{ ref('stg_reference__terminals') }}
),

response_codes as {{ not_materialized() }} (
    select * from {{ ref('int_response_codes_categorised') }}
),

followers as {{ not_materialized() }} (
    -- What can change an earlier line, from the whole journal.
    select f.*, coalesce(r.is_approved, false) as is_approved
    from all_journal as f
    left join response_codes as r on r.code = f.resp_code
    where f.txn_type in ('VOID', 'REVERSAL', 'REFUND', 'PREAUTH')
),

txns as {{ not_materialized() }} (
    select
        journal.*,
        terminals.store_id,
        terminals.store_name,
        terminals.acquirer as terminal_acquirer,
        coalesce(response_codes.category,
                 case when journal.resp_code is null then 'no_response' else 'unknown_code' end)
            as resp_category,
        coalesce(response_codes.is_approved, false) as is_approved,
        -- No response, or a timeout code: the terminal cannot know whether the host approved.
        (journal.resp_code is null or journal.resp_code in {{ sql_list(var('timeout_codes')) }})
            as is_unknown_outcome
    from journal
    left join terminals on terminals.terminal_id = journal.terminal_id
    left join response_codes on response_codes.code = journal.resp_code
),

cancels as (
    select
        terminal_id,
        batch_no,
        orig_trace_no,
        bool_or(txn_type = 'VOID' and is_approved) as is_voided,
        bool_or(txn_type = 'REVERSAL') as is_reversed,
        min(case when txn_type = 'VOID' and is_approved then txn_time end) as voided_at
    from followers
    where txn_type in ('VOID', 'REVERSAL') and orig_trace_no is not null
    group by terminal_id, batch_no, orig_trace_no
),

refunds as (
    select
        merchant_id,
        orig_rrn,
        count(*) as refund_count,
        sum(amount) as refunded_amount,
        min(txn_time) as first_refund_at
    from followers
    where txn_type = 'REFUND' and is_approved and orig_rrn is not null
    group by merchant_id, orig_rrn
),

preauths as (
    select terminal_id, rrn, max(amount) as preauth_amount
    from followers
    where txn_type = 'PREAUTH' and is_approved and rrn is not null
    group by terminal_id, rrn
)

select
    txns.*,
    coalesce(cancels.is_voided, false) as is_voided,
    coalesce(cancels.is_reversed, false) as is_reversed,
    cancels.voided_at,
    coalesce(refunds.refund_count, 0) as refund_count,
    coalesce(refunds.refunded_amount, 0) as refunded_amount,
    refunds.first_refund_at,
    preauths.preauth_amount,
    -- What the acquirer should settle: approved money movements that nobody cancelled.
    txns.txn_type in ('SALE', 'PREAUTH_COMPLETE', 'REFUND')
        and txns.is_approved
        and not coalesce(cancels.is_voided, false)
        and not coalesce(cancels.is_reversed, false) as is_expected_in_settlement
from txns
left join cancels
    on txns.txn_type in ('SALE', 'PREAUTH_COMPLETE')
    and cancels.terminal_id = txns.terminal_id
    and cancels.batch_no = txns.batch_no
    and cancels.orig_trace_no = txns.trace_no
left join refunds
    on txns.txn_type in ('SALE', 'PREAUTH_COMPLETE')
    and refunds.merchant_id = txns.merchant_id
    and refunds.orig_rrn = txns.rrn
left join preauths
    on txns.txn_type = 'PREAUTH_COMPLETE'
    and preauths.terminal_id = txns.terminal_id
    and preauths.rrn = txns.orig_rrn
