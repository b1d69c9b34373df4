{#- Deprecated name of fct_refresh_runs, kept so that existing queries keep working. -#}
{{ config(meta={'renamed_to': 'fct_refresh_runs'}) }}
select * from {{ ref('fct_refresh_runs') }}
