{#- An md5 of the parts, nulls spelled out so that (a, null) and (null, a) differ. -#}
{% macro surrogate_key(columns) -%}
    md5(concat_ws('|'{% for c in columns %}, coalesce(cast({{ c }} as string), '<null>'){% endfor %}))
{%- endmacro %}
