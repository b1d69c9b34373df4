{#- Numbers computed as DuckDB computes them, so that both engines give the same rates and
    write the same characters in the suspicion reasons: DuckDB divides decimals as doubles, rounds a double by
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

{#- A double rounded to `digits` decimals as DuckDB rounds it: its exact binary value, half away
    from zero. Spark's round() rounds the shortest decimal spelling instead, which differs on a
    tie that is not one in binary (3/640 = 0.0046875 is 0.00468749999… as a double: DuckDB
    0.004687, Spark 0.004688). So Spark rounds x·10^digits and, on an apparent .5, lets the
    exact error of that product (Dekker's split: every step is exact) decide the side. -#}
{% macro round_double(x, digits) -%}{{ return(adapter.dispatch('round_double', 'posaudit')(x, digits)) }}{%- endmacro %}
{% macro duckdb__round_double(x, digits) -%}round({{ x }}, {{ digits }}){%- endmacro %}
{% macro default__round_double(x, digits) -%}
    {%- set m = (10 ** (digits | int)) ~ 'D' -%}
    {%- set v = '(' ~ x ~ ')' -%}
    {%- set p = '(' ~ v ~ ' * ' ~ m ~ ')' -%}
    {%- set split = '(134217729D * ' ~ v ~ ')' -%}
    {%- set high = '(' ~ split ~ ' - (' ~ split ~ ' - ' ~ v ~ '))' -%}
    {%- set error = '((' ~ high ~ ' * ' ~ m ~ ' - ' ~ p ~ ') + (' ~ v ~ ' - ' ~ high ~ ') * ' ~ m ~ ')' -%}
    (case when abs({{ p }}) - floor(abs({{ p }})) = 0.5 and {{ error }} * {{ p }} < 0
          then (case when {{ p }} > 0 then floor({{ p }}) else ceil({{ p }}) end)
          else round({{ p }}, 0) end / {{ m }})
{%- endmacro %}
