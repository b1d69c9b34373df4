{#- mart_loss_assessment and mart_root_cause add up to fct_exceptions: same number of
    exceptions and exposure per exception type, to the fen, and mart_root_cause the same net
    loss. The loss mart adds what cases recovered and wrote off: its recovered amount is at
    least the recovery from later data, its net loss at most fct_exceptions' net loss, and
    exposure = recovered + written off + net loss. -#}
with facts as (
    select exception_type, count(*) as exceptions, sum(exposure_amount) as exposure_amount,
           sum(recovered_amount) as recovered_amount, sum(net_loss) as net_loss
    from {{ ref('fct_exceptions') }}
    group by exception_type
),

loss as (
    select exception_type, sum(exceptions) as exceptions, sum(exposure_amount) as exposure_amount,
           sum(recovered_amount) as recovered_amount,
           sum(written_off_amount) as written_off_amount, sum(net_loss) as net_loss
    from {{ ref('mart_loss_assessment') }}
    group by exception_type
),

root_cause as (
    select exception_type, sum(exceptions) as exceptions, sum(exposure_amount) as exposure_amount,
           sum(net_loss) as net_loss
    from {{ ref('mart_root_cause') }}
    group by exception_type
)

select
    coalesce(f.exception_type, l.exception_type, r.exception_type) as exception_type,
    f.exceptions, l.exceptions as loss_exceptions, r.exceptions as root_cause_exceptions,
    f.exposure_amount, l.exposure_amount as loss_exposure, r.exposure_amount as root_cause_exposure,
    f.recovered_amount, l.recovered_amount as loss_recovered,
    l.written_off_amount as loss_written_off,
    f.net_loss, l.net_loss as loss_net_loss, r.net_loss as root_cause_net_loss
from facts as f
full outer join loss as l on l.exception_type = f.exception_type
full outer join root_cause as r on r.exception_type = coalesce(f.exception_type, l.exception_type)
where f.exceptions is distinct from l.exceptions
   or f.exceptions is distinct from r.exceptions
   or f.exposure_amount is distinct from l.exposure_amount
   or f.exposure_amount is distinct from r.exposure_amount
   or l.recovered_amount < f.recovered_amount
   or l.net_loss > f.net_loss
   or l.exposure_amount is distinct from l.recovered_amount + l.written_off_amount + l.net_loss
   or f.net_loss is distinct from r.net_loss
