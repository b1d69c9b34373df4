{#- One row per Adyen batch: its payout date, the settlement date of every row in it. -#}
select
    merchant_id,
    batch_number,
    min(cast(txn_time as date)) as payout_date
from {{ ref('stg_adyen__settlement_lines') }}
where record_type = 'MerchantPayout'
group by merchant_id, batch_number
