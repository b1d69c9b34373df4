{#- mart_error_rates counts every exception that names a terminal exactly once (the nine
    transaction- and line-level types), and its volume counts every SALE, PREAUTH,
    PREAUTH_COMPLETE and REFUND line. -#}
with from_mart as (
    select 'DUPLICATE_CHARGE' as exception_type, sum(exceptions_duplicate_charge) as n from {{ ref('mart_error_rates') }}
    union all select 'AMOUNT_MISMATCH', sum(exceptions_amount_mismatch) from {{ ref('mart_error_rates') }}
    union all select 'MISSING_IN_SETTLEMENT', sum(exceptions_missing_in_settlement) from {{ ref('mart_error_rates') }}
    union all select 'VOID_SETTLED', sum(exceptions_void_settled) from {{ ref('mart_error_rates') }}
    union all select 'ONE_SIDED', sum(exceptions_one_sided) from {{ ref('mart_error_rates') }}
    union all select 'LATE_SETTLEMENT', sum(exceptions_late_settlement) from {{ ref('mart_error_rates') }}
    union all select 'REFUND_EXCEEDS_ORIGINAL', sum(exceptions_refund_exceeds_original) from {{ ref('mart_error_rates') }}
    union all select 'UNMATCHED_SETTLEMENT', sum(exceptions_unmatched_settlement) from {{ ref('mart_error_rates') }}
    union all select 'FEE_MISMATCH', sum(exceptions_fee_mismatch) from {{ ref('mart_error_rates') }}
    union all select '(volume)', sum(transactions) from {{ ref('mart_error_rates') }}
),

from_facts as (
    select exception_type, count(*) as n
    from {{ ref('fct_exceptions') }}
    where terminal_id is not null
      and exception_type not in ('DEPOSIT_MISMATCH', 'MISSING_DEPOSIT')
    group by exception_type
    union all
    select '(volume)', count(*)
    from {{ ref('fct_transactions') }}
    where txn_type in ('SALE', 'PREAUTH', 'PREAUTH_COMPLETE', 'REFUND')
)

select m.exception_type, m.n as in_mart, coalesce(f.n, 0) as in_facts
from from_mart as m
left join from_facts as f using (exception_type)
where coalesce(m.n, 0) <> coalesce(f.n, 0)
