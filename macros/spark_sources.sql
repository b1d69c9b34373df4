{#- On Spark, every dbt source is an external Parquet table over
    $POSAUDIT_SPARK_SOURCES/<schema>/<table>/ (posaudit.pipeline.spark_engine writes them), so
    that the models read the same rows DuckDB does. Registered at the start of each run and
    refreshed, since a refresh adds and removes files under them. On DuckDB the sources are the
    build database's own tables: nothing to do. -#}
{% macro register_sources() -%}{{ return(adapter.dispatch('register_sources', 'posaudit')()) }}{%- endmacro %}

{% macro duckdb__register_sources() -%}select 1{%- endmacro %}

{% macro default__register_sources() -%}
    {%- if execute -%}
    {%- set root = env_var('POSAUDIT_SPARK_SOURCES', '') -%}
    {%- if not root -%}
        {{ exceptions.raise_compiler_error("POSAUDIT_SPARK_SOURCES is not set: the folder of the Parquet sources (posaudit refresh --engine spark sets it)") }}
    {%- endif -%}
    {%- set schemas = [] -%}
    {%- for source in graph.sources.values() -%}
        {%- if source.schema not in schemas -%}
            {%- do schemas.append(source.schema) -%}
            {%- do run_query('create database if not exists ' ~ source.schema) -%}
        {%- endif -%}
        {%- set name = source.schema ~ '.' ~ source.identifier -%}
        {%- do run_query('create table if not exists ' ~ name ~ " using parquet location '"
                         ~ root ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ "'") -%}
        {%- do run_query('refresh table ' ~ name) -%}
    {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
