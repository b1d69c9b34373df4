{#- Every terminal journal line in one vocabulary, kept incrementally: a refresh appends the
    lines of files it has not seen and drops the lines of files that were superseded since, so
    its cost follows the new data, not the history. Anything that can change after a line
    arrives (the terminal register, response-code categories) is joined downstream. -#}
{{
    config(
        materialized='incremental',
        unique_key='journal_line_id',
        incremental_strategy='delete+insert',
        meta={'build_window': {'by': 'file'}},
        post_hook=[
            "delete from {{ this }} where file_id not in (select file_id from {{ source('ingest', 'file_manifest') }} where status = 'LOADED')"
        ]
    )
}}

with journal as {{ not_materialized() }} (
    select * from {{ ref('stg_pos_journal__v1_transactions') }}
    union all by name
    select * from {{ ref('stg_pos_journal__cn_transactions') }}
)

select * from journal
{% if is_incremental() %}
where {{ new_files_only() }}
{% endif %}
