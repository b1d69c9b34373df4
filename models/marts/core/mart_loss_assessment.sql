{#- Exposure, recovered, written off and net loss by exception type, root cause, store,
    acquirer and month, with aging buckets. -#}
with exceptions as not materialized (
    select * from {{ ref('fct_exceptions') }}
)

select
    {{ surrogate_key(["date_trunc('month', business_date)", 'exception_type', 'root_cause', 'store_id', 'acquirer', 'status', 'aging_bucket']) }}
        as loss_assessment_id,
    cast(date_trunc('month', business_date) as date) as month,
    exception_type,
    root_cause,
    store_id,
    acquirer,
    status,
    aging_bucket,
    count(*) as exceptions,
    sum(exposure_amount) as exposure_amount,
    sum(recovered_amount) as recovered_amount,
    cast(0 as decimal(18, 2)) as written_off_amount,
    sum(net_loss) as net_loss
from (
    select *,
        case when age_days <= 1 then '0-1' when age_days <= 7 then '2-7'
             when age_days <= 30 then '8-30' else '>30' end as aging_bucket
    from exceptions
)
group by all
