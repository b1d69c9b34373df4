{#- The fee contract that governs each distinct contract key of `rows` (acquirer, merchant,
    channel group, card type, date): the most specific, newest effective one. Millions of rows
    share a few thousand keys, so contracts are chosen per key and joined back with
    `fee_terms_join`, never per row. -#}
{% macro fee_terms(rows, acquirer_col, merchant_col, channel_group_col, card_type_col, date_col) -%}
    select
        k_acquirer, k_merchant_id, k_channel_group, k_card_type, k_date, fee_contract_id, rate,
        fee_min, fee_cap, settlement_rule, d0_min_amount, d0_from, d0_until
    from (
    select
        k.k_acquirer,
        k.k_merchant_id,
        k.k_channel_group,
        k.k_card_type,
        k.k_date,
        c.fee_contract_id,
        c.rate,
        c.fee_min,
        c.fee_cap,
        c.settlement_rule,
        c.d0_min_amount,
        c.d0_from,
        c.d0_until,
        row_number() over (
            partition by k.k_acquirer, k.k_merchant_id, k.k_channel_group, k.k_card_type, k.k_date
            order by c.specificity desc nulls last, c.effective_from desc nulls last
        ) as contract_rank
    from (
        select distinct
            {{ acquirer_col }} as k_acquirer,
            {{ merchant_col }} as k_merchant_id,
            {{ channel_group_col }} as k_channel_group,
            {{ card_type_col }} as k_card_type,
            {{ date_col }} as k_date
        from {{ rows }}
    ) as k
    join {{ ref('int_fee_contracts_unioned') }} as c
        on (c.acquirer = '*' or c.acquirer = k.k_acquirer)
        and (c.merchant_id = '*' or c.merchant_id = k.k_merchant_id)
        and c.channel_group = k.k_channel_group
        and (c.card_type = '*' or c.card_type = k.k_card_type)
        and k.k_date >= c.effective_from
        and (c.effective_to is null or k.k_date <= c.effective_to)
    ) as ranked
    where contract_rank = 1
{%- endmacro %}

{#- The join condition from a row of `rows_alias` to its terms in `terms_alias`. -#}
{% macro fee_terms_join(terms_alias, rows_alias, acquirer_col, merchant_col, channel_group_col, card_type_col, date_col) -%}
    {{ terms_alias }}.k_acquirer is not distinct from {{ rows_alias }}.{{ acquirer_col }}
    and {{ terms_alias }}.k_merchant_id is not distinct from {{ rows_alias }}.{{ merchant_col }}
    and {{ terms_alias }}.k_channel_group is not distinct from {{ rows_alias }}.{{ channel_group_col }}
    and {{ terms_alias }}.k_card_type is not distinct from {{ rows_alias }}.{{ card_type_col }}
    and {{ terms_alias }}.k_date is not distinct from {{ rows_alias }}.{{ date_col }}
{%- endmacro %}

{#- The contract fee on an amount: rate × |amount|, rounded half-up to the fen, then the
    minimum and the cap. -#}
{% macro contract_fee(amount, rate, fee_min, fee_cap) -%}
    least(
        greatest(cast(round(abs({{ amount }}) * {{ rate }}, 2) as decimal(18, 2)), coalesce({{ fee_min }}, 0)),
        coalesce({{ fee_cap }}, cast(999999999 as decimal(18, 2)))
    )
{%- endmacro %}

{#- The promised settlement date: D0 when the rule allows it (amount at least the minimum, time
    inside the window), otherwise the next calendar day. The window's ends are 'HH:MM:SS' text
    (int_fee_contracts_unioned), compared with the time's whole seconds: the ends fall on whole
    seconds, so a fraction never changes which side a time is on. -#}
{% macro expected_settlement_date(txn_time, amount, settlement_rule, d0_min_amount, d0_from, d0_until) -%}
    case
        when {{ settlement_rule }} = 'D0'
            and abs({{ amount }}) >= coalesce({{ d0_min_amount }}, 0)
            and {{ clock_time(txn_time) }} >= {{ d0_from }}
            and {{ clock_time(txn_time) }} < {{ d0_until }}
        then cast({{ txn_time }} as date)
        else date_add(cast({{ txn_time }} as date), 1)
    end
{%- endmacro %}
