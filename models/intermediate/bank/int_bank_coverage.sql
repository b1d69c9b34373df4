{#- How far the bank statements reach for each merchant number: the first and the latest day
    of the statement files that carry that merchant number's payouts (the days themselves, gaps
    and all, are int_bank_coverage_daily). -#}
select
    merchant_id,
    min(statement_date) as covered_from,
    max(statement_date) as covered_through
from {{ ref('int_bank_coverage_daily') }}
group by merchant_id
