{#- The few places where DuckDB and Spark SQL differ, one macro each, dispatched on the target's
    adapter (duckdb__… / spark__…). Models are written in the SQL both engines share: no
    qualify (a ranked subquery), no group by all, no union by name, no semi/anti join keyword
    ([not] exists), no ::, cast(… as string), every window and ranking order with its nulls
    placement spelled out (the engines' defaults differ), and no backslash in a string literal
    (Spark reads \ as an escape): [0-9] and [[:space:]] instead of \d and \s.

    Everything here is expressed so that both engines return the same value, to the character
    where it is hashed or shown. -#}

{#- `with x as {{ not_materialized() }} (…)`: DuckDB inlines the CTE into each use instead of
    computing it once; Spark always inlines. -#}
{% macro not_materialized() -%}{{ return(adapter.dispatch('not_materialized', 'posaudit')()) }}{%- endmacro %}
{% macro duckdb__not_materialized() -%}not materialized{%- endmacro %}
{% macro default__not_materialized() -%}{%- endmacro %}

{#- `with x as {{ materialized_once() }} (…)`: DuckDB computes the CTE once, on its own, before
    the query that reads it. For a small aggregate of a big table (a median per terminal) this
    keeps the planner from sizing it by the join around it, which at 10M made it spill. -#}
{% macro materialized_once() -%}{{ return(adapter.dispatch('materialized_once', 'posaudit')()) }}{%- endmacro %}
{% macro duckdb__materialized_once() -%}materialized{%- endmacro %}
{% macro default__materialized_once() -%}{%- endmacro %}

{#- Seconds since 1970 of a timestamp, with its fraction (a double, as DuckDB's epoch): for
    differences between two times in seconds. -#}
{% macro epoch_seconds(ts) -%}{{ return(adapter.dispatch('epoch_seconds', 'posaudit')(ts)) }}{%- endmacro %}
{% macro duckdb__epoch_seconds(ts) -%}epoch({{ ts }}){%- endmacro %}
{% macro default__epoch_seconds(ts) -%}(unix_micros({{ ts }}) / 1e6){%- endmacro %}

{#- Whole days from one date to another (end − start). -#}
{% macro days_between(start, end) -%}{{ return(adapter.dispatch('days_between', 'posaudit')(start, end)) }}{%- endmacro %}
{% macro duckdb__days_between(start, end) -%}datediff('day', {{ start }}, {{ end }}){%- endmacro %}
{% macro default__days_between(start, end) -%}datediff({{ end }}, {{ start }}){%- endmacro %}

{#- Days since 1970-01-01: the order key of a window framed in days (`range between 28
    preceding and 1 preceding`), since Spark does not frame a date order by an interval. -#}
{% macro day_number(d) -%}{{ return(adapter.dispatch('day_number', 'posaudit')(d)) }}{%- endmacro %}
{% macro duckdb__day_number(d) -%}(cast({{ d }} as date) - date '1970-01-01'){%- endmacro %}
{% macro default__day_number(d) -%}unix_date(cast({{ d }} as date)){%- endmacro %}

{#- A timestamp as text in a pattern of y M d H m s letters (the Spark/Java spelling, e.g.
    'yyyy-MM-dd HH:mm:ss'); DuckDB gets the same pattern in its own letters. -#}
{% macro format_timestamp(ts, pattern) -%}{{ return(adapter.dispatch('format_timestamp', 'posaudit')(ts, pattern)) }}{%- endmacro %}
{% macro duckdb__format_timestamp(ts, pattern) -%}strftime({{ ts }}, '{{ posaudit.strftime_pattern(pattern) }}'){%- endmacro %}
{% macro default__format_timestamp(ts, pattern) -%}date_format({{ ts }}, '{{ pattern }}'){%- endmacro %}

{% macro strftime_pattern(pattern) -%}
    {{- pattern | replace('yyyy', '%Y') | replace('MM', '%m') | replace('dd', '%d')
                | replace('HH', '%H') | replace('mm', '%M') | replace('ss', '%S') -}}
{%- endmacro %}

{#- A date read from text in a pattern (Spark/Java letters), null when the text does not fit. -#}
{% macro try_parse_date(text, pattern) -%}{{ return(adapter.dispatch('try_parse_date', 'posaudit')(text, pattern)) }}{%- endmacro %}
{% macro duckdb__try_parse_date(text, pattern) -%}cast(try_strptime({{ text }}, '{{ posaudit.strftime_pattern(pattern) }}') as date){%- endmacro %}
{% macro default__try_parse_date(text, pattern) -%}cast(try_to_timestamp({{ text }}, '{{ pattern }}') as date){%- endmacro %}

{#- The wall-clock time of a timestamp as 'HH:MM:SS' text, which orders as the time does
    (Spark has no time type). -#}
{% macro clock_time(ts) -%}{{ posaudit.format_timestamp(ts, 'HH:mm:ss') }}{%- endmacro %}

{#- Whether the whole text matches a regular expression. -#}
{% macro full_match(text, pattern) -%}{{ return(adapter.dispatch('full_match', 'posaudit')(text, pattern)) }}{%- endmacro %}
{% macro duckdb__full_match(text, pattern) -%}regexp_full_match({{ text }}, '{{ pattern }}'){%- endmacro %}
{% macro default__full_match(text, pattern) -%}({{ text }} rlike '^(?:{{ pattern }})$'){%- endmacro %}

{#- A JSON object text from (key, expression) pairs, nulls kept as null. Values should be text,
    numbers, booleans or string_array()/sorted_array_agg() arrays: times are formatted by the
    caller (format_timestamp), so both engines write the same characters. -#}
{% macro json_object(pairs) -%}{{ return(adapter.dispatch('json_object', 'posaudit')(pairs)) }}{%- endmacro %}
{% macro duckdb__json_object(pairs) -%}
    to_json({ {%- for key, value in pairs %}'{{ key }}': {{ value }}{{ ", " if not loop.last }}{% endfor -%} })
{%- endmacro %}
{% macro default__json_object(pairs) -%}
    to_json(named_struct({%- for key, value in pairs %}'{{ key }}', {{ value }}{{ ", " if not loop.last }}{% endfor -%}), map('ignoreNullFields', 'false'))
{%- endmacro %}

{#- The length of the JSON array under a top-level key of a JSON object text. -#}
{% macro json_array_size(json, key) -%}{{ return(adapter.dispatch('json_array_size', 'posaudit')(json, key)) }}{%- endmacro %}
{% macro duckdb__json_array_size(json, key) -%}json_array_length({{ json }}, '$.{{ key }}'){%- endmacro %}
{% macro default__json_array_size(json, key) -%}json_array_length(get_json_object({{ json }}, '$.{{ key }}')){%- endmacro %}

{#- An array of text values; string_array([]) is the empty array. -#}
{% macro string_array(values) -%}{{ return(adapter.dispatch('string_array', 'posaudit')(values)) }}{%- endmacro %}
{% macro duckdb__string_array(values) -%}cast([{{ values | join(', ') }}] as string[]){%- endmacro %}
{% macro default__string_array(values) -%}cast(array({{ values | join(', ') }}) as array<string>){%- endmacro %}

{#- Aggregate: the values of a group as an array, in the order of order_key (ties by value). -#}
{% macro sorted_array_agg(value, order_key) -%}{{ return(adapter.dispatch('sorted_array_agg', 'posaudit')(value, order_key)) }}{%- endmacro %}
{% macro duckdb__sorted_array_agg(value, order_key) -%}list({{ value }} order by {{ order_key }} asc nulls last, {{ value }} asc nulls last){%- endmacro %}
{% macro default__sorted_array_agg(value, order_key) -%}
    transform(array_sort(collect_list(named_struct('k', {{ order_key }}, 'v', {{ value }}))), x -> x.v)
{%- endmacro %}

{#- Select-list generators, one output row per element. -#}
{#- ...per part of a text split on a plain separator. -#}
{% macro explode_split(text, separator) -%}{{ return(adapter.dispatch('explode_split', 'posaudit')(text, separator)) }}{%- endmacro %}
{% macro duckdb__explode_split(text, separator) -%}unnest(string_split({{ text }}, '{{ separator }}')){%- endmacro %}
{% macro default__explode_split(text, separator) -%}explode(split({{ text }}, '[{{ separator }}]')){%- endmacro %}

{#- ...per value of a literal list. -#}
{% macro explode_values(values) -%}{{ return(adapter.dispatch('explode_values', 'posaudit')(values)) }}{%- endmacro %}
{% macro duckdb__explode_values(values) -%}unnest([{{ values | join(', ') }}]){%- endmacro %}
{% macro default__explode_values(values) -%}explode(array({{ values | join(', ') }})){%- endmacro %}

{#- ...per calendar day from one date through another, as a date. -#}
{% macro explode_days(first_date, last_date) -%}{{ return(adapter.dispatch('explode_days', 'posaudit')(first_date, last_date)) }}{%- endmacro %}
{% macro duckdb__explode_days(first_date, last_date) -%}
    cast(unnest(generate_series(cast({{ first_date }} as date), cast({{ last_date }} as date), interval 1 day)) as date)
{%- endmacro %}
{% macro default__explode_days(first_date, last_date) -%}
    explode(sequence(cast({{ first_date }} as date), cast({{ last_date }} as date), interval 1 day))
{%- endmacro %}

{#- Day of the week of a date, Monday 1 … Sunday 7 (ISO): DuckDB's weekday() counts from Sunday 0. -#}
{% macro iso_weekday(d) -%}{{ return(adapter.dispatch('iso_weekday', 'posaudit')(d)) }}{%- endmacro %}
{% macro duckdb__iso_weekday(d) -%}isodow({{ d }}){%- endmacro %}
{% macro default__iso_weekday(d) -%}(weekday({{ d }}) + 1){%- endmacro %}
