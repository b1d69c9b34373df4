{#- Deprecated name of fct_dq_check_results, kept so that existing queries keep working. -#}
{{ config(meta={'renamed_to': 'fct_dq_check_results'}) }}
select * from {{ ref('fct_dq_check_results') }}
