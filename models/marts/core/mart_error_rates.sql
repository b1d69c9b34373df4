{#- Per day × merchant × store × terminal × channel × acquirer: transactions, approvals,
    declines by response category, exceptions by type, and rates. -#}
with txns as {{ not_materialized() }} (
    select * from {{ ref('fct_transactions') }}
    where txn_type in ('SALE', 'PREAUTH', 'PREAUTH_COMPLETE', 'REFUND')
),

exceptions as {{ not_materialized() }} (
    select * from {{ ref('fct_exceptions') }} where terminal_id is not null
),

volume as (
    select
        business_date, merchant_id, store_id, terminal_id, channel, acquirer,
        count(*) as transactions,
        count(*) filter (where is_approved) as approvals,
        count(*) filter (where not is_approved) as declines,
        count(*) filter (where resp_category = 'cardholder_funds_limits') as declines_cardholder_funds_limits,
        count(*) filter (where resp_category = 'cardholder_credentials') as declines_cardholder_credentials,
        count(*) filter (where resp_category = 'issuer_policy_decline') as declines_issuer_policy,
        count(*) filter (where resp_category = 'fraud_security') as declines_fraud_security,
        count(*) filter (where resp_category = 'network_switch_unavailable' or resp_category = 'no_response')
            as declines_network_or_timeout,
        count(*) filter (where resp_category = 'merchant_terminal_config') as declines_merchant_terminal_config,
        count(*) filter (where resp_category = 'terminal_key_session') as declines_terminal_key_session,
        count(*) filter (where not is_approved and resp_category not in (
            'cardholder_funds_limits', 'cardholder_credentials', 'issuer_policy_decline',
            'fraud_security', 'network_switch_unavailable', 'no_response',
            'merchant_terminal_config', 'terminal_key_session')) as declines_other,
        sum(amount) filter (where is_approved) as approved_amount
    from txns
    group by business_date, merchant_id, store_id, terminal_id, channel, acquirer
),

exception_counts as (
    select
        business_date, merchant_id, store_id, terminal_id, channel, acquirer,
        count(*) as exceptions,
        {% for t in ['DUPLICATE_CHARGE', 'AMOUNT_MISMATCH', 'MISSING_IN_SETTLEMENT', 'UNMATCHED_SETTLEMENT', 'VOID_SETTLED', 'ONE_SIDED', 'FEE_MISMATCH', 'LATE_SETTLEMENT', 'REFUND_EXCEEDS_ORIGINAL'] %}
        count(*) filter (where exception_type = '{{ t }}') as exceptions_{{ t | lower }},
        {% endfor %}
        sum(exposure_amount) as exposure_amount
    from exceptions
    group by business_date, merchant_id, store_id, terminal_id, channel, acquirer
),

-- Exceptions without terminal volume in the same cell (a settlement line no journal knows, a
-- line settled by another acquirer) still count: the cells are the union of both sides.
keys as (
    select business_date, merchant_id, store_id, terminal_id, channel, acquirer from volume
    union
    select business_date, merchant_id, store_id, terminal_id, channel, acquirer
    from exception_counts
)

select
    {{ surrogate_key(['k.business_date', 'k.merchant_id', 'k.store_id', 'k.terminal_id', 'k.channel', 'k.acquirer']) }}
        as error_rate_id,
    k.business_date, k.merchant_id, k.store_id, k.terminal_id, k.channel, k.acquirer,
    coalesce(v.transactions, 0) as transactions,
    coalesce(v.approvals, 0) as approvals,
    coalesce(v.declines, 0) as declines,
    {% for c in ['cardholder_funds_limits', 'cardholder_credentials', 'issuer_policy', 'fraud_security', 'network_or_timeout', 'merchant_terminal_config', 'terminal_key_session', 'other'] %}
    coalesce(v.declines_{{ c }}, 0) as declines_{{ c }},
    {% endfor %}
    coalesce(v.approved_amount, 0) as approved_amount,
    coalesce(e.exceptions, 0) as exceptions,
    {% for t in ['DUPLICATE_CHARGE', 'AMOUNT_MISMATCH', 'MISSING_IN_SETTLEMENT', 'UNMATCHED_SETTLEMENT', 'VOID_SETTLED', 'ONE_SIDED', 'FEE_MISMATCH', 'LATE_SETTLEMENT', 'REFUND_EXCEEDS_ORIGINAL'] %}
    coalesce(e.exceptions_{{ t | lower }}, 0) as exceptions_{{ t | lower }},
    {% endfor %}
    coalesce(e.exposure_amount, 0) as exposure_amount,
    round(coalesce(v.declines, 0) / nullif(v.transactions, 0), 6) as decline_rate,
    round(coalesce(e.exceptions, 0) / nullif(v.transactions, 0), 6) as exception_rate
from keys as k
left join volume as v
    on v.business_date = k.business_date and v.merchant_id = k.merchant_id
    and v.store_id is not distinct from k.store_id and v.terminal_id = k.terminal_id
    and v.channel is not distinct from k.channel and v.acquirer is not distinct from k.acquirer
left join exception_counts as e
    on e.business_date = k.business_date and e.merchant_id = k.merchant_id
    and e.store_id is not distinct from k.store_id and e.terminal_id = k.terminal_id
    and e.channel is not distinct from k.channel and e.acquirer is not distinct from k.acquirer
