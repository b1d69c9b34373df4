with source as {{ not_materialized() }} (
    select * from {{ source('reference', 'ref_fee_contracts') }}
)

select
    {{ surrogate_key(['acquirer', 'merchant_id', 'channel_group', 'card_type', 'effective_from']) }}
        as fee_contract_id,
    acquirer,
    merchant_id,
    channel_group,
    coalesce(card_type, '*') as card_type,
    rate,
    fee_min,
    fee_cap,
    effective_from,
    effective_to,
    settlement_rule,
    d0_min_amount,
    d0_window,
    file_id
from source
