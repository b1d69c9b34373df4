{#- Day of the week of a date, Monday 1 … Sunday 7 (ISO): DuckDB's weekday() counts from Sunday 0. -#}
{% macro iso_weekday(d) -%}{{ return(adapter.dispatch('iso_weekday', 'posaudit')(d)) }}{%- endmacro %}
{% macro duckdb__iso_weekday(d) -%}isodow({{ d }}){%- endmacro %}
{% macro default__iso_weekday(d) -%}(weekday({{ d }}) + 1){%- endmacro %}
