{#- Exceptions and exposure by root cause and type, with how many carry event evidence. -#}
select
    {{ surrogate_key(['root_cause', 'exception_type']) }} as root_cause_id,
    root_cause,
    exception_type,
    count(*) as exceptions,
    sum(exposure_amount) as exposure_amount,
    sum(net_loss) as net_loss,
    count(*) filter (where {{ json_array_size('root_cause_evidence', 'events') }} > 0)
        as exceptions_with_event_evidence,
    count(distinct terminal_id) as terminals,
    min(business_date) as first_seen,
    max(business_date) as last_seen
from {{ ref('fct_exceptions') }}
group by root_cause, exception_type
