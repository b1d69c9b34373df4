{#- Join each row of `rows` to the fee contract that governs it (most specific, newest) and
    return the row's id with the contract's terms. `date_col` picks the effective contract. -#}
{% macro fee_terms(rows, id_col, acquirer_col, merchant_col, channel_group_col, card_type_col, date_col) -%}
    select
        r.{{ id_col }} as row_id,
        c.fee_contract_id,
        c.rate,
        c.fee_min,
        c.fee_cap,
        c.settlement_rule,
        c.d0_min_amount,
        c.d0_from,
        c.d0_until
    from {{ rows }} as r
    join {{ ref('int_fee_contracts_unioned') }} as c
        on (c.acquirer = '*' or c.acquirer = r.{{ acquirer_col }})
        and (c.merchant_id = '*' or c.merchant_id = r.{{ merchant_col }})
        and c.channel_group = r.{{ channel_group_col }}
        and (c.card_type = '*' or c.card_type = r.{{ card_type_col }})
        and r.{{ date_col }} >= c.effective_from
        and (c.effective_to is null or r.{{ date_col }} <= c.effective_to)
    qualify row_number() over (
        partition by r.{{ id_col }} order by c.specificity desc, c.effective_from desc
    ) = 1
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
    inside the window), otherwise the next calendar day. -#}
{% macro expected_settlement_date(txn_time, amount, settlement_rule, d0_min_amount, d0_from, d0_until) -%}
    case
        when {{ settlement_rule }} = 'D0'
            and abs({{ amount }}) >= coalesce({{ d0_min_amount }}, 0)
            and cast({{ txn_time }} as time) >= {{ d0_from }}
            and cast({{ txn_time }} as time) < {{ d0_until }}
        then cast({{ txn_time }} as date)
        else cast(cast({{ txn_time }} as date) + interval 1 day as date)
    end
{%- endmacro %}
