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
    where exists (
        select 1
        from (
            select merchant_id, card_key, amount from charges
            group by merchant_id, card_key, amount
            having count(*) > 1
        ) as repeated
        where repeated.merchant_id = charges.merchant_id and repeated.card_key = charges.card_key
          and repeated.amount = charges.amount
    )
),

-- Each later charge with the latest earlier one in the window.
pairs as (
    select
        later.journal_line_id as later_journal_line_id,
        later.amount as later_amount,
        later.refunded_amount as later_refunded_amount,
        earlier.journal_line_id as earlier_journal_line_id,
        earlier.terminal_id as earlier_terminal_id,
        earlier.trace_no as earlier_trace_no,
        earlier.txn_time as earlier_txn_time,
        row_number() over (
            partition by later.journal_line_id
            order by earlier.txn_time desc nulls last, earlier.journal_line_id desc nulls last
        ) as pair_rank
    from repeated_charges as later
    join repeated_charges as earlier
        on earlier.merchant_id = later.merchant_id
        and earlier.card_key = later.card_key
        and earlier.amount = later.amount
        and earlier.journal_line_id <> later.journal_line_id
        and (earlier.txn_time < later.txn_time
             or (earlier.txn_time = later.txn_time and earlier.journal_line_id < later.journal_line_id))
        and later.txn_time <= earlier.txn_time + interval {{ var('duplicate_window_minutes') }} minutes
)

select
    later_journal_line_id as source_id,
    'DUPLICATE_CHARGE' as exception_type,
    later_amount as exposure_amount,
    'CUSTOMER_OVERCHARGED' as exposure_direction,
    least(later_refunded_amount, later_amount) as recovered_amount,
    'earlier sale ' || earlier_terminal_id || '/' || earlier_trace_no || ' at '
        || {{ clock_time('earlier_txn_time') }} as detail,
    -- The first charge, for the exception's file.
    earlier_journal_line_id as related_journal_line_id
from pairs
where pair_rank = 1
