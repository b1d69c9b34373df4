{#- Deprecated name of fct_file_manifest, kept so that existing queries keep working. -#}
{{ config(meta={'renamed_to': 'fct_file_manifest'}) }}
select * from {{ ref('fct_file_manifest') }}
