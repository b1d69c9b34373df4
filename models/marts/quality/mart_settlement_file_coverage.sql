{#- Per acquirer (or wallet) × merchant number × settlement date on which the terminals expect
    settlement: did a settlement file for that merchant number and date arrive?

    Expected side: approved SALE and PREAUTH_COMPLETE lines neither voided nor reversed
    (fct_transactions.is_expected_in_settlement), under the acquirer and merchant number they
    are expected to settle with (fct_transactions.acquirer / settlement_merchant_id) and on the
    date the contract promises (expected_settlement_date). Settlement side: the loaded lines of
    fct_settlement_lines; a file covers the merchant number and settlement dates of its lines.
    A date is due once that acquirer's files reach it plus var('settlement_grace_days'). -#}
with expected as (
    select
        acquirer,
        settlement_merchant_id as merchant_id,
        expected_settlement_date as settlement_date,
        count(*) as expected_transactions,
        sum(amount) as expected_amount
    from {{ ref('fct_transactions') }}
    where is_expected_in_settlement
        and txn_type in ('SALE', 'PREAUTH_COMPLETE')
        and acquirer is not null
        and settlement_merchant_id is not null
        and expected_settlement_date is not null
    group by acquirer, settlement_merchant_id, expected_settlement_date
),

settled as (
    select
        acquirer,
        merchant_id,
        settlement_date,
        count(distinct file_id) as settlement_files,
        count(*) as settled_lines
    from {{ ref('fct_settlement_lines') }}
    group by acquirer, merchant_id, settlement_date
),

acquirer_coverage as (
    select acquirer, max(settlement_date) as covered_through
    from {{ ref('fct_settlement_lines') }}
    group by acquirer
),

joined as (
    select
        e.acquirer,
        e.merchant_id,
        e.settlement_date,
        e.expected_transactions,
        e.expected_amount,
        coalesce(s.settlement_files, 0) as settlement_files,
        coalesce(s.settled_lines, 0) as settled_lines,
        c.covered_through,
        coalesce(
            date_add(e.settlement_date, {{ var('settlement_grace_days') }})
                <= c.covered_through, false
        ) as is_due
    from expected as e
    left join settled as s
        on s.acquirer = e.acquirer
        and s.merchant_id = e.merchant_id
        and s.settlement_date = e.settlement_date
    left join acquirer_coverage as c on c.acquirer = e.acquirer
)

select
    {{ surrogate_key(['acquirer', 'merchant_id', 'settlement_date']) }} as coverage_id,
    acquirer,
    merchant_id,
    settlement_date,
    expected_transactions,
    expected_amount,
    settlement_files,
    settled_lines,
    covered_through,
    is_due,
    is_due and settlement_files = 0 as is_missing_file
from joined
