{#- DUPLICATE_CHARGE: an approved SALE with the same card, amount and merchant as an earlier
    approved SALE within var('duplicate_window_minutes'), neither voided nor reversed; the
    later one is the exception, recovered by what was refunded of it. -#}
with charges as {{ not_materialized() }} (
    select *, coalesce(card_token, card_mask) as card_key
    from {{ ref('fct_transactions') }}
    where txn_type = 'SALE' and is_approved and not is_voided and not is_reversed
      and coalesce(card_token, card_mask) is not null
),

-- Only a charge that shares merchant, card and amount with another can be a duplicate: keeping
-- those few first makes the self-join small.
repeated_charges as (
    select *
    from charges
    semi join (
        select merchant_id, card_key, amount from charges group by all having count(*) > 1
    ) using (merchant_id, card_key, amount)
)

select
    later.journal_line_id as source_id,
    'DUPLICATE_CHARGE' as exception_type,
    later.amount as exposure_amount,
    'CUSTOMER_OVERCHARGED' as exposure_direction,
    least(later.refunded_amount, later.amount) as recovered_amount,
    'earlier sale ' || earlier.terminal_id || '/' || earlier.trace_no || ' at '
        || strftime(earlier.txn_time, '%H:%M:%S') as detail,
    -- The first charge, for the exception's file.
    earlier.journal_line_id as related_journal_line_id
from repeated_charges as later
join repeated_charges as earlier
    on earlier.merchant_id = later.merchant_id
    and earlier.card_key = later.card_key
    and earlier.amount = later.amount
    and earlier.journal_line_id <> later.journal_line_id
    and (earlier.txn_time < later.txn_time
         or (earlier.txn_time = later.txn_time and earlier.journal_line_id < later.journal_line_id))
    and later.txn_time - earlier.txn_time <= to_minutes({{ var('duplicate_window_minutes') }})
qualify row_number() over (partition by later.journal_line_id order by earlier.txn_time desc) = 1
