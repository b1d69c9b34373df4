{#- Every definite exception (docs/exceptions.md), one row each, with its keys, exposure, root cause
    and the evidence behind the cause, and its recovery from later data. -#}
with txns as not materialized (
    select * from {{ ref('fct_transactions') }}
),

lines as not materialized (
    select * from {{ ref('fct_settlement_lines') }}
),

sales as not materialized (
    select * from txns where txn_type = 'SALE'
),

-- DUPLICATE_CHARGE: an approved SALE with the same card, amount and merchant as an earlier
-- approved SALE within the window, neither voided nor reversed; the later one is the exception.
charges as not materialized (
    select *, coalesce(card_token, card_mask) as card_key
    from sales
    where is_approved and not is_voided and not is_reversed
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
),

duplicate_charge as (
    select
        later.journal_line_id as source_id,
        'DUPLICATE_CHARGE' as exception_type,
        later.amount as exposure_amount,
        'CUSTOMER_OVERCHARGED' as exposure_direction,
        least(later.refunded_amount, later.amount) as recovered_amount,
        'earlier sale ' || earlier.terminal_id || '/' || earlier.trace_no || ' at '
            || strftime(earlier.txn_time, '%H:%M:%S') as detail
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
),

amount_mismatch as (
    select
        journal_line_id as source_id,
        'AMOUNT_MISMATCH' as exception_type,
        abs(amount - abs(settled_gross_amount)) as exposure_amount,
        -- A sale settled short leaves the merchant short; a refund settled short leaves the
        -- customer owed.
        case when (abs(settled_gross_amount) < amount) = (txn_type <> 'REFUND')
             then 'MERCHANT_SHORT' else 'CUSTOMER_OVERCHARGED' end as exposure_direction,
        cast(0 as decimal(18, 2)) as recovered_amount,
        'terminal ' || amount || ', settled ' || abs(settled_gross_amount) || ' (' || match_rule || ')'
            as detail
    from txns
    where match_status = 'AMOUNT_MISMATCH'
),

missing_in_settlement as (
    select
        journal_line_id as source_id,
        'MISSING_IN_SETTLEMENT' as exception_type,
        amount as exposure_amount,
        'MERCHANT_SHORT' as exposure_direction,
        cast(0 as decimal(18, 2)) as recovered_amount,
        'expected on ' || expected_settlement_date || ' from ' || coalesce(sales.acquirer, '?')
            || '; files cover through ' || coverage.covered_through as detail
    from sales
    -- Today's coverage: fct_transactions keeps the coverage of the build that decided the line.
    left join {{ ref('int_settlement_coverage') }} as coverage
        on coverage.acquirer = sales.acquirer
        and coverage.merchant_id = sales.settlement_merchant_id
    where match_status = 'MISSING'
),

void_settled as (
    select
        journal_line_id as source_id,
        'VOID_SETTLED' as exception_type,
        amount as exposure_amount,
        'CUSTOMER_OVERCHARGED' as exposure_direction,
        cast(0 as decimal(18, 2)) as recovered_amount,
        'voided at ' || strftime(voided_at, '%H:%M:%S') || ', settled on ' || settlement_date as detail
    from sales
    where is_voided and settlement_line_id is not null
),

one_sided as (
    select
        journal_line_id as source_id,
        'ONE_SIDED' as exception_type,
        amount as exposure_amount,
        'CUSTOMER_OVERCHARGED' as exposure_direction,
        cast(0 as decimal(18, 2)) as recovered_amount,
        'terminal saw ' || coalesce('response ' || resp_code, 'no response')
            || case when is_reversed then ', reversed' else '' end
            || '; settled on ' || settlement_date as detail
    from sales
    where not is_voided and (is_unknown_outcome or is_reversed) and settlement_line_id is not null
),

late_settlement as (
    select
        journal_line_id as source_id,
        'LATE_SETTLEMENT' as exception_type,
        cast(0 as decimal(18, 2)) as exposure_amount,
        'UNKNOWN' as exposure_direction,
        cast(0 as decimal(18, 2)) as recovered_amount,
        'promised ' || expected_settlement_date || ', settled ' || settlement_date || ' ('
            || days_late || ' days late)' as detail
    from txns
    where is_expected_in_settlement and txn_type in ('SALE', 'PREAUTH_COMPLETE')
      and settlement_date > expected_settlement_date
),

approved_refunds as (
    select * from txns where txn_type = 'REFUND' and is_approved
),

-- Only the sales a refund names: far fewer than all sales, so the join stays small.
refunded_originals as (
    select journal_line_id, merchant_id, rrn, amount
    from txns
    where txn_type in ('SALE', 'PREAUTH_COMPLETE')
      and rrn in (select orig_rrn from approved_refunds)
),

-- The first day missing from each merchant's journal (between its first and last day): a
-- refund after it may have its original there, so "no original" waits for that journal.
journal_gaps as (
    select merchant_id, min(business_date) + 1 as first_gap
    from (
        select merchant_id, business_date,
               lead(business_date) over (partition by merchant_id order by business_date)
                   as next_date
        from (select distinct merchant_id, business_date from {{ ref('int_journal_coverage') }})
    )
    where next_date > business_date + 1
    group by merchant_id
),

refunds as (
    select r.*, o.journal_line_id as original_id, o.amount as original_amount,
           g.first_gap,
           sum(r.amount) over (partition by r.merchant_id, r.orig_rrn order by r.txn_time, r.journal_line_id
                               rows unbounded preceding) as cumulative_refunded
    from approved_refunds as r
    left join refunded_originals as o
        on o.merchant_id = r.merchant_id and o.rrn = r.orig_rrn
    left join journal_gaps as g on g.merchant_id = r.merchant_id
),

refund_exceeds_original as (
    select
        journal_line_id as source_id,
        'REFUND_EXCEEDS_ORIGINAL' as exception_type,
        case when original_id is null then amount
             else least(amount, cumulative_refunded - original_amount) end as exposure_amount,
        'MERCHANT_SHORT' as exposure_direction,
        cast(0 as decimal(18, 2)) as recovered_amount,
        case when original_id is null then 'no original sale with rrn ' || coalesce(orig_rrn, '(none)')
             else 'refunds reach ' || cumulative_refunded || ' of an original ' || original_amount end
            as detail
    from refunds
    where (original_id is null and coalesce(first_gap > business_date, true))
       or cumulative_refunded > original_amount
),

unmatched_settlement as (
    select
        settlement_line_id as source_id,
        'UNMATCHED_SETTLEMENT' as exception_type,
        abs(gross_amount) as exposure_amount,
        'UNKNOWN' as exposure_direction,
        cast(0 as decimal(18, 2)) as recovered_amount,
        source_layout || ' line ' || line_no || ', ' || txn_type || ' ' || gross_amount as detail
    from lines
    -- Not PENDING_JOURNAL: a line whose journal has not arrived waits for it.
    where match_status = 'UNMATCHED'
),

fee_mismatch as (
    select
        settlement_line_id as source_id,
        'FEE_MISMATCH' as exception_type,
        cast(abs(fee_difference) as decimal(18, 2)) as exposure_amount,
        case when fee_difference > 0 then 'FEE_OVERCHARGE' else 'UNKNOWN' end as exposure_direction,
        cast(0 as decimal(18, 2)) as recovered_amount,
        'charged ' || fee_amount_exact || ', contract ' || expected_fee_amount || ' at rate '
            || contract_rate as detail
    from lines
    -- A line waiting for its journal waits whole: its contract may depend on the journal's
    -- card type and channel.
    where txn_type <> 'REFUND' and abs(fee_difference) > {{ var('fee_tolerance') }}
      and match_status <> 'PENDING_JOURNAL'
),

net_daily as not materialized (
    select * from {{ ref('int_settlement_net_daily') }}
),

payouts as not materialized (
    select * from {{ ref('int_bank_payouts') }}
),

deposits as (
    select
        coalesce(n.merchant_id, p.merchant_id) as merchant_id,
        coalesce(n.settlement_date, p.settlement_date) as settlement_date,
        n.acquirer,
        coalesce(n.net_amount, 0) as net_amount,
        p.payout_amount,
        p.credited_on,
        p.payout_id,
        n.net_settlement_id,
        bank.covered_through as bank_covered_through,
        coalesce(bank_day.is_due, false) as is_bank_due
    from net_daily as n
    full outer join payouts as p
        on p.merchant_id = n.merchant_id and p.settlement_date = n.settlement_date
    left join {{ ref('int_bank_coverage') }} as bank
        on bank.merchant_id = coalesce(n.merchant_id, p.merchant_id)
    left join {{ ref('int_bank_coverage_daily') }} as bank_day
        on bank_day.merchant_id = coalesce(n.merchant_id, p.merchant_id)
        and bank_day.statement_date = coalesce(n.settlement_date, p.settlement_date)
),

deposit_mismatch as (
    select
        coalesce(payout_id, net_settlement_id) as source_id,
        'DEPOSIT_MISMATCH' as exception_type,
        abs(payout_amount - net_amount) as exposure_amount,
        case when payout_amount < net_amount then 'MERCHANT_SHORT' else 'UNKNOWN' end
            as exposure_direction,
        cast(0 as decimal(18, 2)) as recovered_amount,
        'bank paid ' || payout_amount || ', net settlement ' || net_amount as detail,
        *
    from deposits
    -- A payout for a day without settlement lines waits for that day's settlement file
    -- (mart_pending_sources): a gap in the settlement feed is not a deposit exception.
    where payout_amount is not null and payout_amount <> net_amount
      and net_settlement_id is not null
),

-- MISSING_DEPOSIT: no payout by the next day, judged only when the bank statements cover the
-- settlement date and its grace days (a missing statement day is a gap: the net waits). A
-- payout that arrives later still leaves the exception on record, recovered by what arrived.
missing_deposit as (
    select
        net_settlement_id as source_id,
        'MISSING_DEPOSIT' as exception_type,
        net_amount as exposure_amount,
        'MERCHANT_SHORT' as exposure_direction,
        least(coalesce(payout_amount, 0), net_amount) as recovered_amount,
        'net ' || net_amount || ' for ' || settlement_date
            || coalesce(', paid late on ' || credited_on, ', no payout')
            || '; bank statements reach ' || bank_covered_through as detail,
        *
    from deposits
    where net_amount > 0
      and (payout_amount is null
           or credited_on > settlement_date + {{ var('deposit_grace_days') }})
      and is_bank_due
),

txn_exceptions as (
    select * from duplicate_charge
    union all select * from amount_mismatch
    union all select * from missing_in_settlement
    union all select * from void_settled
    union all select * from one_sided
    union all select * from late_settlement
    union all select * from refund_exceeds_original
),

line_exceptions as (
    select * from unmatched_settlement
    union all select * from fee_mismatch
),

keyed as (
    select
        e.*,
        t.merchant_id, t.store_id, t.terminal_id, t.batch_no, t.trace_no, t.rrn, t.order_no,
        t.txn_time, t.business_date, t.amount, t.acquirer, t.channel,
        t.journal_line_id, t.settlement_line_id
    from txn_exceptions as e
    join txns as t on t.journal_line_id = e.source_id
    union all by name
    select
        e.*,
        coalesce(t.merchant_id, l.merchant_id) as merchant_id,
        t.store_id,
        coalesce(t.terminal_id, l.terminal_id) as terminal_id,
        coalesce(t.batch_no, l.batch_no) as batch_no,
        coalesce(t.trace_no, l.trace_no) as trace_no,
        coalesce(t.rrn, l.rrn) as rrn,
        coalesce(t.order_no, l.order_no) as order_no,
        coalesce(t.txn_time, l.txn_time) as txn_time,
        coalesce(t.business_date, l.business_date) as business_date,
        abs(l.gross_amount) as amount,
        l.acquirer,
        coalesce(t.channel, l.qr_channel, 'UNKNOWN') as channel,
        l.journal_line_id,
        l.settlement_line_id
    from line_exceptions as e
    join lines as l on l.settlement_line_id = e.source_id
    left join txns as t on t.journal_line_id = l.journal_line_id
    union all by name
    select
        source_id, exception_type, exposure_amount, exposure_direction, recovered_amount, detail,
        merchant_id, acquirer, settlement_date as business_date,
        case when net_settlement_id is null then payout_amount else net_amount end as amount
    from deposit_mismatch
    union all by name
    select
        source_id, exception_type, exposure_amount, exposure_direction, recovered_amount, detail,
        merchant_id, acquirer, settlement_date as business_date, net_amount as amount
    from missing_deposit
),

{# Root-cause conditions, evaluated for every exception; the rules seed picks the cause. #}
fault_events as (
    select terminal_id, event_time, event_type
    from {{ ref('stg_tms__terminal_events') }}
    where event_type in {{ sql_list(var('fault_event_types')) }}
),

faults_nearby as (
    select
        k.exception_type, k.source_id,
        list(f.event_type || ' ' || strftime(f.event_time, '%Y-%m-%d %H:%M:%S') order by f.event_time)
            as events
    from keyed as k
    join fault_events as f
        on f.terminal_id = k.terminal_id
        and f.event_time >= k.txn_time - to_minutes({{ var('fault_minutes_before') }})
        and f.event_time <= k.txn_time + to_minutes({{ var('fault_minutes_after') }})
    group by all
),

sign_in_failures as (
    select
        k.exception_type, k.source_id,
        list(f.event_type || ' ' || strftime(f.event_time, '%Y-%m-%d %H:%M:%S') order by f.event_time)
            as events
    from keyed as k
    join {{ ref('stg_tms__terminal_events') }} as f
        on f.terminal_id = k.terminal_id
        and f.event_type in {{ sql_list(var('sign_in_failure_event_types')) }}
        and f.event_date = k.business_date
        and f.event_time <= k.txn_time
    group by all
),

classified as (
    select
        k.*,
        r.condition as root_cause_condition,
        case r.condition
            when 'fault_nearby' then fn.events is not null
            when 'sign_in_failed_earlier_same_day' then sf.events is not null
            else true
        end as condition_met,
        case r.condition
            when 'fault_nearby' then fn.events
            when 'sign_in_failed_earlier_same_day' then sf.events
        end as evidence_events,
        r.cause_when_true,
        r.cause_when_false,
        r.rule_text
    from keyed as k
    left join {{ ref('root_cause_rules') }} as r on r.exception_type = k.exception_type
    left join faults_nearby as fn
        on fn.exception_type = k.exception_type and fn.source_id = k.source_id
    left join sign_in_failures as sf
        on sf.exception_type = k.exception_type and sf.source_id = k.source_id
),

as_of as (
    select max(business_date) as as_of_date from txns
)

select
    {{ surrogate_key(['exception_type', 'source_id']) }} as exception_id,
    exception_type,
    merchant_id,
    store_id,
    terminal_id,
    batch_no,
    trace_no,
    rrn,
    order_no,
    txn_time,
    business_date,
    acquirer,
    channel,
    amount,
    exposure_amount,
    exposure_direction,
    coalesce(case when condition_met then cause_when_true else cause_when_false end, 'UNKNOWN')
        as root_cause,
    to_json({
        'rule': rule_text,
        'condition': root_cause_condition,
        'condition_met': condition_met,
        'events': coalesce(evidence_events, []::varchar[]),
        'detail': detail
    }) as root_cause_evidence,
    detail,
    current_timestamp as detected_at,
    case
        when exposure_amount > 0 and recovered_amount >= exposure_amount then 'RECOVERED'
        when recovered_amount > 0 then 'PARTIALLY_RECOVERED'
        else 'OPEN'
    end as status,
    recovered_amount,
    greatest(exposure_amount - recovered_amount, 0) as net_loss,
    datediff('day', business_date, (select as_of_date from as_of)) as age_days,
    journal_line_id,
    settlement_line_id,
    source_id
from classified
