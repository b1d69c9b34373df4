{#- Day of the week of a date, Monday 1 … Sunday 7 (ISO): DuckDB's weekday() counts from Sunday 0. -#}
{% macro iso_weekday(d) -%}{{ return(adapter.dispatch('iso_weekday', 'posaudit')(d)) }}{%- endmacro %}
{% macro duckdb__iso_weekday(d) -%}isodow({{ d }}){%- endmacro %}
{% macro default__iso_weekday(d) -%}(weekday({{ d }}) + 1){%- endmacro %}

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
