{#- Every definite exception (docs/exceptions.md), one row each, with its keys, exposure, root cause and the
    evidence behind the cause, and its recovery from later data. Each detection rule is its own
    model (exceptions/int_exceptions__*.sql: source_id, exposure, direction, recovery, detail,
    the related journal line);
    this one gives each hit the keys of its journal or settlement line and classifies its root
    cause by the rules of the root_cause_rules seed. -#}
{%- set txn_rules = ['duplicate_charge', 'amount_mismatch', 'missing_in_settlement',
                     'void_settled', 'one_sided', 'late_settlement', 'refund_exceeds_original'] -%}
{%- set line_rules = ['unmatched_settlement', 'fee_mismatch'] -%}
{%- set deposit_rules = ['deposit_mismatch', 'missing_deposit'] -%}
{%- set rule_columns = ['source_id', 'exception_type', 'exposure_amount', 'exposure_direction',
                        'recovered_amount', 'detail', 'related_journal_line_id'] -%}
with txns as {{ not_materialized() }} (
    select * from {{ ref('fct_transactions') }}
),

lines as {{ not_materialized() }} (
    select * from {{ ref('fct_settlement_lines') }}
),

-- Rules on journal lines, on settlement lines, and on a day's deposit.
txn_exceptions as (
    {%- for rule in txn_rules %}
    {% if not loop.first %}union all {% endif %}select {{ rule_columns | join(', ') }}
    from {{ ref('int_exceptions__' ~ rule) }}
    {%- endfor %}
),

line_exceptions as (
    {%- for rule in line_rules %}
    {% if not loop.first %}union all {% endif %}select {{ rule_columns | join(', ') }}
    from {{ ref('int_exceptions__' ~ rule) }}
    {%- endfor %}
),

keyed as (
    select
        {%- for c in rule_columns %} e.{{ c }},{% endfor %}
        t.merchant_id, t.store_id, t.terminal_id, t.batch_no, t.trace_no, t.rrn, t.order_no,
        t.txn_time, t.business_date, t.amount, t.acquirer, t.channel,
        t.journal_line_id, t.settlement_line_id
    from txn_exceptions as e
    join txns as t on t.journal_line_id = e.source_id
    union all
    select
        {%- for c in rule_columns %} e.{{ c }},{% endfor %}
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
    {%- for rule in deposit_rules %}
    union all
    -- A day's deposit has no terminal, line or time.
    select
        {%- for c in rule_columns %} {{ c }},{% endfor %}
        merchant_id, cast(null as string) as store_id, cast(null as string) as terminal_id,
        cast(null as string) as batch_no, cast(null as string) as trace_no,
        cast(null as string) as rrn, cast(null as string) as order_no,
        cast(null as timestamp) as txn_time, business_date, amount, acquirer,
        cast(null as string) as channel, cast(null as string) as journal_line_id,
        cast(null as string) as settlement_line_id
    from {{ ref('int_exceptions__' ~ rule) }}
    {%- endfor %}
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
        {{ sorted_array_agg("f.event_type || ' ' || " ~ format_timestamp('f.event_time', 'yyyy-MM-dd HH:mm:ss'),
                            'f.event_time') }} as events
    from keyed as k
    join fault_events as f
        on f.terminal_id = k.terminal_id
        and f.event_time >= k.txn_time - interval {{ var('fault_minutes_before') }} minutes
        and f.event_time <= k.txn_time + interval {{ var('fault_minutes_after') }} minutes
    group by k.exception_type, k.source_id
),

sign_in_failures as (
    select
        k.exception_type, k.source_id,
        {{ sorted_array_agg("f.event_type || ' ' || " ~ format_timestamp('f.event_time', 'yyyy-MM-dd HH:mm:ss'),
                            'f.event_time') }} as events
    from keyed as k
    join {{ ref('stg_tms__terminal_events') }} as f
        on f.terminal_id = k.terminal_id
        and f.event_type in {{ sql_list(var('sign_in_failure_event_types')) }}
        and f.event_date = k.business_date
        and f.event_time <= k.txn_time
    group by k.exception_type, k.source_id
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
    {{ json_object([
        ('rule', 'rule_text'),
        ('condition', 'root_cause_condition'),
        ('condition_met', 'condition_met'),
        ('events', 'coalesce(evidence_events, ' ~ string_array([]) ~ ')'),
        ('detail', 'detail')
    ]) }} as root_cause_evidence,
    detail,
    current_timestamp as detected_at,
    case
        when exposure_amount > 0 and recovered_amount >= exposure_amount then 'RECOVERED'
        when recovered_amount > 0 then 'PARTIALLY_RECOVERED'
        else 'OPEN'
    end as status,
    recovered_amount,
    greatest(exposure_amount - recovered_amount, 0) as net_loss,
    {{ days_between('business_date', '(select as_of_date from as_of)') }} as age_days,
    journal_line_id,
    settlement_line_id,
    related_journal_line_id,
    source_id
from classified
