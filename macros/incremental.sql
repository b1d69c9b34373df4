{#- How a windowed model (config meta build_window) is kept incrementally on each engine.
    DuckDB deletes the window's rows (the delete_build_window pre-hook) and inserts the rebuilt
    ones. Spark's Parquet tables cannot delete rows: a model windowed by date is partitioned by
    it and each build overwrites the partitions it writes (insert_overwrite); a model kept by
    file appends the new files' lines (a superseded file makes the build full). Called in
    config(), where the target is known but macros cannot dispatch. -#}
{% macro window_strategy(by) -%}
    {%- if target.type == 'duckdb' -%}{{ return('delete+insert') }}
    {%- elif by == 'date' -%}{{ return('insert_overwrite') }}
    {%- else -%}{{ return('append') }}
    {%- endif -%}
{%- endmacro %}

{% macro window_partition(by, column='business_date') -%}
    {{ return([column] if target.type != 'duckdb' and by == 'date' else none) }}
{%- endmacro %}
