{#- More places where DuckDB and Spark differ: types, a regular expression's whitespace, the
    superseded files of models kept by file, and chains of queries (see portable.sql for the
    rules). -#}

{#- The type of a timestamp with time zone: Spark's timestamp already is one (instants shown in
    the session time zone). -#}
{% macro timestamp_tz_type() -%}{{ return(adapter.dispatch('timestamp_tz_type', 'posaudit')()) }}{%- endmacro %}
{% macro duckdb__timestamp_tz_type() -%}timestamptz{%- endmacro %}
{% macro default__timestamp_tz_type() -%}timestamp{%- endmacro %}

{#- The type of a JSON text: Spark has none, its JSON functions read strings. -#}
{% macro json_type() -%}{{ return(adapter.dispatch('json_type', 'posaudit')()) }}{%- endmacro %}
{% macro duckdb__json_type() -%}json{%- endmacro %}
{% macro default__json_type() -%}string{%- endmacro %}

{#- The whitespace escape of a regular expression, for use inside a character class: Java's
    regex (Spark) has no [:space:] class, and a Spark string literal needs the backslash doubled. -#}
{% macro regex_space() -%}{{ return(adapter.dispatch('regex_space', 'posaudit')()) }}{%- endmacro %}
{% macro duckdb__regex_space() -%}\s{%- endmacro %}
{% macro default__regex_space() -%}\\s{%- endmacro %}

{#- The post-hook of a model kept by file: drop the lines of files no longer loaded (superseded
    since). Spark cannot delete from its Parquet tables; it needs not: a superseded file makes
    the build full (posaudit/pipeline/build_window.py), which reads the loaded files only. -#}
{% macro drop_unloaded_files() -%}{{ return(adapter.dispatch('drop_unloaded_files', 'posaudit')()) }}{%- endmacro %}
{% macro duckdb__drop_unloaded_files() -%}
    delete from {{ this }} where file_id not in (select file_id from {{ source('ingest', 'file_manifest') }} where status = 'LOADED')
{%- endmacro %}
{% macro default__drop_unloaded_files() -%}{%- endmacro %}

{#- A chain of named queries, each reading the ones before it through step_relation(name):
    the `with` clause of CTEs on DuckDB; on Spark each is built as a table first (Spark inlines
    every CTE under create table, so a query read twice by each next one would double the plan
    with every step). `steps` is a list of (name, sql) in order, or (name, sql, 'inline') for a
    step DuckDB should compute where it is read rather than hold in memory: a filtered scan of a
    big table is cheaper read twice than materialised. -#}
{% macro chained_steps(steps) -%}{{ return(adapter.dispatch('chained_steps', 'posaudit')(steps)) }}{%- endmacro %}
{% macro duckdb__chained_steps(steps) -%}
with {% for step in steps %}{{ step[0] }} as {{ 'not materialized ' if step | length > 2 and step[2] == 'inline' }}(
{{ step[1] }}
){{ "," if not loop.last }}
{% endfor %}
{%- endmacro %}
{% macro default__chained_steps(steps) -%}
    {%- if execute -%}
    {%- for step in steps -%}
        {%- do run_query('drop table if exists ' ~ posaudit.step_relation(step[0])) -%}
        {%- do run_query('create table ' ~ posaudit.step_relation(step[0]) ~ ' using parquet as ' ~ step[1]) -%}
    {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- The relation of a step of chained_steps: the CTE's name on DuckDB, a table beside the model
    on Spark. -#}
{% macro step_relation(name) -%}{{ return(adapter.dispatch('step_relation', 'posaudit')(name)) }}{%- endmacro %}
{% macro duckdb__step_relation(name) -%}{{ name }}{%- endmacro %}
{% macro default__step_relation(name) -%}{{ this.schema }}.{{ this.identifier }}__{{ name }}{%- endmacro %}
