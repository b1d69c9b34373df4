{#- How far the bank statements reach for each merchant number: the latest date of any
    statement file that carries that merchant number's payouts. A payout can only be declared
    missing for dates its statements cover. -#}
with file_ranges as (
    select file_id, max(txn_date) as file_through, min(txn_date) as file_from
    from {{ ref('stg_bank__statement_lines') }}
    group by file_id
),

merchant_files as (
    select distinct payout_merchant_id as merchant_id, file_id
    from {{ ref('stg_bank__statement_lines') }}
    where payout_merchant_id is not null
)

select
    merchant_files.merchant_id,
    min(file_ranges.file_from) as covered_from,
    max(file_ranges.file_through) as covered_through
from merchant_files
join file_ranges using (file_id)
group by merchant_files.merchant_id
