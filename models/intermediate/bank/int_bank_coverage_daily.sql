{#- Which days the bank statements cover for each merchant number: every date inside a
    statement file that carries that merchant number's payouts. A net settlement of a date is
    due — MISSING_DEPOSIT when no payout came — only when the statements cover this date and
    the var('deposit_grace_days') days after it: a statement missing in the middle is a gap the
    payout waits for, not a missing deposit. -#}
with file_ranges as (
    select file_id, min(txn_date) as file_from, max(txn_date) as file_through
    from {{ ref('stg_bank__statement_lines') }}
    group by file_id
),

merchant_files as (
    select distinct payout_merchant_id as merchant_id, file_id
    from {{ ref('stg_bank__statement_lines') }}
    where payout_merchant_id is not null
),

days as (
    select distinct merchant_id, statement_date
    from (
        select
            merchant_files.merchant_id,
            {{ explode_days('file_ranges.file_from', 'file_ranges.file_through') }} as statement_date
        from merchant_files
        join file_ranges on file_ranges.file_id = merchant_files.file_id
    ) as file_days
)

select
    {{ surrogate_key(['merchant_id', 'statement_date']) }} as bank_day_id,
    merchant_id,
    statement_date,
    count(*) over (
        partition by merchant_id order by {{ day_number('statement_date') }} asc nulls last
        range between current row and {{ var('deposit_grace_days') }} following
    ) = {{ var('deposit_grace_days') }} + 1 as is_due
from days
