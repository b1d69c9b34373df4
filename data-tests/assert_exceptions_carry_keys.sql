{#- Exception keys (docs/exceptions.md): a transaction-level exception carries the terminal_id or (wallet,
    Adyen) the order_no of its transaction, and a wallet payment (QR_WECHAT, QR_ALIPAY) its
    order_no; DEPOSIT_MISMATCH and MISSING_DEPOSIT carry the merchant number and the
    settlement date, and no terminal. -#}
select exception_id, exception_type, merchant_id, terminal_id, trace_no, order_no, channel,
       business_date
from {{ ref('fct_exceptions') }}
where case
    when exception_type in ('DEPOSIT_MISMATCH', 'MISSING_DEPOSIT')
        then merchant_id is null or business_date is null or terminal_id is not null
    else (terminal_id is null and order_no is null)
        or (channel in ('QR_WECHAT', 'QR_ALIPAY') and order_no is null)
        or business_date is null
        or merchant_id is null
  end
