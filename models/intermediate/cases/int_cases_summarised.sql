{#- One row per case with what its trail says was done about the money: refunds and recoveries
    recorded, write-offs approved (the approved amount is the proposal's), and when it closed.
    A case's exception_id ties it to fct_exceptions, at most one case per exception. -#}
with cases as {{ not_materialized() }} (
    select * from {{ ref('stg_cases__cases') }}
),

actions as {{ not_materialized() }} (
    select * from {{ ref('stg_cases__case_actions') }}
),

money as (
    select
        case_id,
        sum(amount) filter (where action = 'record_refund') as refunded_amount,
        sum(amount) filter (where action = 'record_recovery') as recovered_amount,
        sum(amount) filter (where action = 'approve_write_off') as written_off_amount,
        max(acted_at) filter (where action = 'close') as closed_at,
        max(acted_at) as last_action_at,
        count(*) as actions
    from actions
    group by case_id
)

select
    c.case_id,
    c.exception_id,
    c.report_id,
    c.case_state,
    c.opened_at,
    c.assignee,
    coalesce(m.refunded_amount, 0) as refunded_amount,
    coalesce(m.recovered_amount, 0) as recovered_amount,
    coalesce(m.written_off_amount, 0) as written_off_amount,
    m.closed_at,
    m.last_action_at,
    coalesce(m.actions, 0) as actions
from cases as c
left join money as m on m.case_id = c.case_id
