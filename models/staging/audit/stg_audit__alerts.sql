{#- audit.alerts is written by the refresh after dbt build (posaudit/alerts_store.py). On a
    build database that predates alerts the table is not there yet: an empty relation of the
    same columns keeps the build going until the first run creates it. -#}
{%- set alerts = source('audit', 'alerts') -%}
{%- if execute and load_relation(alerts) is none %}

select
    cast(null as string) as alert_id,
    cast(null as string) as run_id,
    cast(null as string) as run_outcome,
    cast(null as timestamp) as raised_at,
    cast(null as string) as rule,
    cast(null as string) as severity,
    cast(null as string) as subject_type,
    cast(null as string) as subject,
    cast(null as string) as message,
    cast(null as decimal(38, 6)) as value,
    cast(null as decimal(38, 6)) as threshold,
    cast(null as string) as webhook_status,
    cast(null as string) as webhook_error,
    cast(null as string) as email_status,
    cast(null as string) as email_error
where false

{%- else %}

with source as {{ not_materialized() }} (
    select * from {{ alerts }}
)

select
    alert_id,
    run_id,
    run_outcome,
    raised_at,
    rule,
    severity,
    subject_type,
    subject,
    message,
    value,
    threshold,
    webhook_status,
    webhook_error,
    email_status,
    email_error
from source

{%- endif %}
