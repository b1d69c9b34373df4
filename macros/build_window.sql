{#- Incremental builds recompute a window of business dates: every row dated on or after the
    window's start is deleted and rebuilt, the rows before it stay. The refresh plans the window
    (posaudit/build_window.py) before dbt runs and records it in raw.build_window; a build
    without a planned window (dbt run by hand) recomputes everything.

    The plan is read when a node is compiled and written into its SQL as constants: a literal
    date lets DuckDB skip whole row groups by their min/max, a literal list of file ids is pushed
    into the scan of the raw tables under the staging views. -#}
{% macro build_window_value(sql) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set result = run_query(sql) -%}
    {{ return(result.columns[0].values() | list) }}
{%- endmacro %}

{% macro build_window_start() -%}
    {%- set relation = source('ingest', 'build_window') -%}
    {%- set values = build_window_value(
        "select cast(max(window_start) as string) from " ~ relation ~ " where state = 'PENDING'") -%}
    date '{{ values[0] if values and values[0] else '0001-01-01' }}'
{%- endmacro %}

{#- True when a planned INCREMENTAL build is running (false for full builds and dbt by hand). -#}
{% macro build_window_is_incremental() -%}
    {%- set relation = source('ingest', 'build_window') -%}
    {%- set values = build_window_value(
        "select count(*) from " ~ relation ~ " where state = 'PENDING' and mode = 'INCREMENTAL'") -%}
    {{ return(values is not none and values[0] > 0) }}
{%- endmacro %}

{#- A SQL list of the values of one column of a build-window table, or none when empty. -#}
{% macro build_window_list(table, column) -%}
    {%- set relation = source('ingest', table) -%}
    {%- set values = build_window_value("select " ~ column ~ " from " ~ relation) -%}
    {%- if not values -%}{{ return(none) }}{%- endif -%}
    {{ return("('" ~ (values | join("', '")) ~ "')") }}
{%- endmacro %}

{#- Whether a row's date falls in the window (an undated row always does). -#}
{% macro in_build_window(date_column, days_before=0) -%}
    ({{ date_column }} is null or {{ date_column }} >= {{ build_window_start() }}{% if days_before %} - {{ days_before }}{% endif %})
{%- endmacro %}

{#- The rows of a relation in the window, and the older journal lines that new refunds, voids
    and reversals refer to. Two branches, not one OR: the first keeps the date literal that
    skips row groups, the second is a semi join on the few listed keys. -#}
{% macro build_window_rows(relation, date_column='business_date', key_column='journal_line_id') -%}
    select * from {{ relation }} where {{ in_build_window(date_column) }}
    union all
    select * from {{ relation }}
    where {{ date_column }} < {{ build_window_start() }}
      and {{ key_column }} in (select journal_line_id from {{ source('ingest', 'build_window_lines') }})
{%- endmacro %}

{#- The pre-hook of every model (dbt_project.yml): a model windowed by date drops the rows the
    window rebuilds. Spark builds those models in full (keyed_incremental): nothing to drop. -#}
{% macro delete_build_window() -%}{{ return(adapter.dispatch('delete_build_window', 'posaudit')()) }}{%- endmacro %}
{% macro default__delete_build_window() -%}{%- endmacro %}
{% macro duckdb__delete_build_window() -%}
    {%- if execute -%}
    {%- set window = (config.get('meta') or {}).get('build_window') or {} -%}
    {%- if window.get('by') == 'date' and is_incremental() -%}
        delete from {{ this }} where {{ in_build_window(window.get('column', 'business_date')) }}
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- A line from a file this build is the first to see; every line when the build is full or
    was not planned (dbt run by hand). -#}
{% macro in_build_files(file_column='file_id') -%}
    {%- if not build_window_is_incremental() -%}
    true
    {%- else -%}
    {%- set files = build_window_list('build_window_files', 'file_id') -%}
    {{ file_column ~ ' in ' ~ files if files else 'false' }}
    {%- endif -%}
{%- endmacro %}

{#- The rows of landing files a model kept by file has not seen: the planned build's new files
    (a literal list, pushed into the raw scans), else every file not in the table yet. -#}
{% macro new_files_only(file_column='file_id') -%}
    {%- if build_window_is_incremental() -%}
    {{ in_build_files(file_column) }}
    {%- else -%}
    {{ file_column }} not in (select distinct file_id from {{ this }})
    {%- endif -%}
{%- endmacro %}

{#- How a model is windowed, from its own config (the one declaration): meta build_window is
    {by: date, column: ...} for a model that rebuilds the window's dates, {by: file} for one
    that sees only new files; {} for any other relation. A lookup by name, not a walk over the
    graph: every data test asks. posaudit/build_window.py reads the same config from dbt's
    manifest. -#}
{% macro build_window_of(identifier) -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ identifier) if execute else none -%}
    {{ return(((node.config.meta or {}).get('build_window') or {}) if node else {}) }}
{%- endmacro %}

{#- The data tests of a windowed model look at the window: the rows before it were tested when
    they were built. The few older lines rebuilt by key are seen only by the tests that read a
    whole table (relationships into these models, the singular tests in data-tests/). Likewise
    the staged landing lines and the models kept by file: only new files' lines are tested. -#}
{% macro duckdb__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set declared = build_window_of(relation.identifier) -%}
    {%- set window = none -%}
    {%- if declared.get('by') == 'date' -%}
        {%- set window = in_build_window(declared.get('column', 'business_date')) -%}
    {%- elif declared.get('by') == 'file' -%}
        {%- set window = in_build_files() -%}
    {%- endif -%}
    {%- if window -%}
        {%- set where = '(' ~ where ~ ') and ' ~ window if where else window -%}
    {%- endif -%}
    {%- if where -%}
        (select * from {{ relation }} where {{ where }}) dbt_subquery
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
