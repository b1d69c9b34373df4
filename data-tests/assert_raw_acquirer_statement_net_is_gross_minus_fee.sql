{#- Money invariant on the raw acquirer POS statement as loaded: 结算金额 (settle_amount) =
    交易金额 (amount) − 手续费 (fee) on every line. Returns the offending raw lines. -#}
select
    file_id,
    line_no,
    merchant_id,
    terminal_id,
    amount,
    fee,
    settle_amount,
    amount - fee as expected_settle_amount
from {{ source('acquirer', 'cn_pos_statement') }}
where settle_amount is distinct from amount - fee
