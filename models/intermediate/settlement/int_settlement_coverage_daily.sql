{#- Which settlement dates each source (acquirer or wallet, merchant number) has delivered, one
    row per date with at least one line. A sale expected on a date is due — MISSING when no line
    settles it — only when this date and the var('settlement_grace_days') dates after it have
    all been delivered: a file missing in the middle is a gap the sale waits for (PENDING), not
    a reason to report it. -#}
with days as (
    select
        acquirer,
        merchant_id,
        settlement_date,
        count(*) as settlement_lines,
        count(distinct file_id) as files
    from {{ ref('int_settlement_lines_unioned') }}
    where settlement_date is not null
    group by acquirer, merchant_id, settlement_date
)

select
    {{ surrogate_key(['acquirer', 'merchant_id', 'settlement_date']) }} as coverage_day_id,
    acquirer,
    merchant_id,
    settlement_date,
    settlement_lines,
    files,
    count(*) over (
        partition by acquirer, merchant_id order by {{ day_number('settlement_date') }} asc nulls last
        range between current row and {{ var('settlement_grace_days') }} following
    ) = {{ var('settlement_grace_days') }} + 1 as is_due
from days
