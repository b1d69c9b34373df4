{#- Bank credits that are settlement payouts (their memo names a settlement date and a merchant
    number), one row per merchant number and settlement date. -#}
with lines as {{ not_materialized() }} (
    select * from {{ ref('stg_bank__statement_lines') }}
    where payout_kind is not null
      and payout_settlement_date is not null
      and payout_merchant_id is not null
)

select
    {{ surrogate_key(['payout_merchant_id', 'payout_settlement_date']) }} as payout_id,
    payout_merchant_id as merchant_id,
    payout_settlement_date as settlement_date,
    min(payout_kind) as payout_kind,
    min(counterparty_name) as counterparty_name,
    sum(credit_amount) - sum(debit_amount) as payout_amount,
    min(txn_date) as credited_on,
    count(*) as payout_lines,
    min(bank_line_id) as first_bank_line_id
from lines
group by payout_merchant_id, payout_settlement_date
