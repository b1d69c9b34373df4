{#- Early-warning alerts: one row per alert raised by a refresh. A view, so that the alerts of
    the refresh that publishes this snapshot are in it. -#}
select * from {{ ref('stg_audit__alerts') }}
