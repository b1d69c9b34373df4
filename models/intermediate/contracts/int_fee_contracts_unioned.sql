{#- Fee contracts from reference/fee_contracts.csv over the seeded defaults. A contract's
    specificity orders the choice: merchant number, then acquirer, then card type; at equal
    specificity a reference file beats the defaults. -#}
with reference_contracts as (
    select
        acquirer, merchant_id, channel_group, card_type, cast(rate as decimal(12, 8)) as rate,
        fee_min, fee_cap, effective_from, effective_to,
        coalesce(settlement_rule, 'T1') as settlement_rule,
        d0_min_amount, d0_window, 1 as from_reference
    from {{ ref('stg_reference__fee_contracts') }}
),

default_contracts as (
    select
        acquirer, merchant_id, channel_group, coalesce(card_type, '*') as card_type,
        cast(rate as decimal(12, 8)) as rate, fee_min, fee_cap, effective_from, effective_to, settlement_rule, d0_min_amount,
        d0_window, 0 as from_reference
    from {{ ref('default_fee_contracts') }}
),

unioned as (
    select
        acquirer, merchant_id, channel_group, card_type, rate, fee_min, fee_cap, effective_from,
        effective_to, settlement_rule, d0_min_amount, d0_window, from_reference
    from reference_contracts
    union all
    select
        acquirer, merchant_id, channel_group, card_type, rate, fee_min, fee_cap, effective_from,
        effective_to, settlement_rule, d0_min_amount, d0_window, from_reference
    from default_contracts
)

select
    {{ surrogate_key(['acquirer', 'merchant_id', 'channel_group', 'card_type', 'effective_from', 'from_reference']) }}
        as fee_contract_id,
    acquirer, merchant_id, channel_group, card_type, rate, fee_min, fee_cap, effective_from,
    effective_to, settlement_rule, d0_min_amount, d0_window, from_reference,
    cast(merchant_id <> '*' as int) * 8 + cast(acquirer <> '*' as int) * 4
        + cast(card_type <> '*' as int) * 2 + from_reference as specificity,
    -- The D0 window's ends as 'HH:MM:SS' text, compared with clock_time() (no time type on Spark).
    coalesce(split_part(d0_window, '-', 1), '00:00') || ':00' as d0_from,
    case when coalesce(split_part(d0_window, '-', 2), '') in ('', '24:00') then '23:59:59.999999'
         else split_part(d0_window, '-', 2) || ':00' end as d0_until
from unioned
