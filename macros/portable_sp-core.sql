{#- Numbers the suspicion reasons show as text, computed as DuckDB computes them so that both
    engines write the same characters: DuckDB divides decimals as doubles, rounds a double by
    round(x · 10ⁿ) / 10ⁿ and takes the median of decimals as the cents halfway between, cut
    toward zero. -#}

{#- n as a percentage of total, two decimals, as text. -#}
{% macro share_percent_text(n, total) -%}{{ return(adapter.dispatch('share_percent_text', 'posaudit')(n, total)) }}{%- endmacro %}
{% macro duckdb__share_percent_text(n, total) -%}round(100.0 * {{ n }} / {{ total }}, 2){%- endmacro %}
{% macro default__share_percent_text(n, total) -%}
    cast(round(cast(100 * {{ n }} as double) / cast({{ total }} as double) * 100D, 0) / 100D as string)
{%- endmacro %}

{#- One decimal amount divided by another, one decimal, as text. -#}
{% macro ratio_text(numerator, denominator) -%}{{ return(adapter.dispatch('ratio_text', 'posaudit')(numerator, denominator)) }}{%- endmacro %}
{% macro duckdb__ratio_text(numerator, denominator) -%}round({{ numerator }} / {{ denominator }}, 1){%- endmacro %}
{% macro default__ratio_text(numerator, denominator) -%}
    cast(round(cast({{ numerator }} as double) / cast({{ denominator }} as double) * 10D, 0) / 10D as string)
{%- endmacro %}

{#- Aggregate: the median of a decimal(18, 2) amount, as decimal(18, 2). -#}
{% macro median_amount(amount) -%}{{ return(adapter.dispatch('median_amount', 'posaudit')(amount)) }}{%- endmacro %}
{% macro duckdb__median_amount(amount) -%}median({{ amount }}){%- endmacro %}
{% macro default__median_amount(amount) -%}
    cast(cast(percentile(cast({{ amount }} * 100 as bigint), 0.5) as bigint) / 100 as decimal(18, 2))
{%- endmacro %}
