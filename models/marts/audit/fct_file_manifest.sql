{#- fct_file_manifest: one row per landing file ever seen. -#}
select * from {{ ref('stg_ingest__files') }}
