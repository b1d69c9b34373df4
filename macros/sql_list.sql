{#- A list of values as a SQL literal list: ('a', 'b'). -#}
{% macro sql_list(values) -%}
    ('{{ values | join("', '") }}')
{%- endmacro %}
