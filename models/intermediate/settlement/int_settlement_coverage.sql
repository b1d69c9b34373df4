{#- Which settlement dates each source (acquirer or wallet, merchant number) has delivered. A
    sale is due (MISSING if absent) only once its source's files reach its expected settlement
    date plus the grace days; before that it is PENDING. -#}
select
    acquirer,
    merchant_id,
    min(settlement_date) as covered_from,
    max(settlement_date) as covered_through,
    count(distinct settlement_date) as settlement_dates,
    count(distinct file_id) as files
from {{ ref('int_settlement_lines_unioned') }}
group by acquirer, merchant_id
