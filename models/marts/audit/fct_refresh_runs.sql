{#- fct_refresh_runs: one row per refresh with its run record. A view, so that the
    refresh that publishes this snapshot is in it. -#}
select * from {{ ref('stg_audit__refresh_runs') }}
