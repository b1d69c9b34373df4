with source as {{ not_materialized() }} (
    select * from {{ source('cases', 'case_actions') }}
)

select
    action_id,
    seq,
    case_id,
    cast("at" as timestamptz) as acted_at,
    actor,
    "role" as actor_role,
    "action",
    from_state,
    to_state,
    cast(amount as decimal(18, 2)) as amount,
    reference,
    reason,
    cast(payload as json) as payload,
    prev_hash,
    hash
from source
