{#- Exposure, recovered, written off and net loss by exception type, root cause, store,
    acquirer, month, recovery status and case state, with aging buckets. Recovery comes from
    later data (fct_exceptions) and from case actions (refunds and recoveries recorded); what
    is neither recovered nor written off (approved write-offs) is the net loss. Per exception:
    recovered ≤ exposure, written off ≤ exposure − recovered, so that
    exposure = recovered + written off + net loss holds to the fen. -#}
with exceptions as {{ not_materialized() }} (
    select * from {{ ref('fct_exceptions') }}
),

case_outcomes as {{ not_materialized() }} (
    select * from {{ ref('int_cases_summarised') }}
    where exception_id is not null
),

recovered as (
    select
        e.*,
        c.case_state,
        least(e.exposure_amount,
              e.recovered_amount + coalesce(c.refunded_amount, 0) + coalesce(c.recovered_amount, 0))
            as recovered_total,
        coalesce(c.written_off_amount, 0) as approved_write_off,
        case when e.age_days <= 1 then '0-1' when e.age_days <= 7 then '2-7'
             when e.age_days <= 30 then '8-30' else '>30' end as aging_bucket
    from exceptions as e
    left join case_outcomes as c on c.exception_id = e.exception_id
),

assessed as (
    select
        *,
        least(approved_write_off, greatest(exposure_amount - recovered_total, 0))
            as written_off
    from recovered
)

-- The key spells the month as its first instant, 'yyyy-MM-01 00:00:00', as it always has.
select
    {{ surrogate_key([format_timestamp("date_trunc('month', business_date)", 'yyyy-MM-dd HH:mm:ss'),
                      'exception_type', 'root_cause', 'store_id', 'acquirer', 'status',
                      'case_state', 'aging_bucket']) }}
        as loss_assessment_id,
    cast(date_trunc('month', business_date) as date) as month,
    exception_type,
    root_cause,
    store_id,
    acquirer,
    status,
    case_state,
    aging_bucket,
    count(*) as exceptions,
    sum(exposure_amount) as exposure_amount,
    sum(recovered_total) as recovered_amount,
    sum(written_off) as written_off_amount,
    sum(greatest(exposure_amount - recovered_total - written_off, 0)) as net_loss
from assessed
group by
    date_trunc('month', business_date), exception_type, root_cause, store_id, acquirer, status,
    case_state, aging_bucket
