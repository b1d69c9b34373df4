{#- fct_dq_check_results: one row per data-quality check per run. A view, so that
    the results of the refresh that publishes this snapshot are in it. -#}
select * from {{ ref('stg_audit__dq_check_results') }}
