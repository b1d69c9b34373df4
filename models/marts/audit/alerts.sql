{#- Deprecated name of fct_alerts, kept so that existing queries keep working. -#}
{{ config(meta={'renamed_to': 'fct_alerts'}) }}
select * from {{ ref('fct_alerts') }}
