with source as {{ not_materialized() }} (
    select * from {{ source('cases', 'case_actions') }}
)

select
    action_id,
    seq,
    case_id,
    cast({{ adapter.quote('at') }} as {{ timestamp_tz_type() }}) as acted_at,
    actor,
    {{ adapter.quote('role') }} as actor_role,
    {{ adapter.quote('action') }},
    from_state,
    to_state,
    cast(amount as decimal(18, 2)) as amount,
    reference,
    reason,
    cast(payload as {{ json_type() }}) as payload,
    prev_hash,
    hash
from source
