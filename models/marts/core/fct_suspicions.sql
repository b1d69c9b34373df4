{#- Suspicion rules: scored hits for people to review (not definite exceptions).
      CARD_TESTING        several declines on one card, then an approval, within minutes
      SPLIT_TICKET        several approved sales on one card and terminal within minutes,
                          each just under a round limit
      OFF_HOURS           an approved sale in an hour when its terminal almost never trades
      REFUND_OTHER_CARD   a refund to a card other than the original sale's
      AMOUNT_OUTLIER      an amount far above the terminal's usual, like an extra zero
    The thresholds are vars in dbt_project.yml (suspicion_*). -#}
with txns as {{ not_materialized() }} (
    select *, coalesce(card_token, card_mask) as card_key
    from {{ ref('fct_transactions') }}
),

declines as (
    select card_key, merchant_id, txn_time
    from txns
    where not is_approved and txn_type = 'SALE' and card_key is not null
),

-- Only a card declined often enough at a merchant can qualify: the approvals to look at are
-- few, so the join stays small.
declined_cards as (
    select card_key, merchant_id from declines group by card_key, merchant_id
    having count(*) >= {{ var('suspicion_card_testing_min_declines') }}
),

card_testing as (
    select
        a.journal_line_id,
        'CARD_TESTING' as suspicion_type,
        least(100, 40 + 15 * count(*)) as score,
        count(*) || ' declines on the card in the {{ var('suspicion_card_testing_window_minutes') }} minutes before this approval'
            as reason
    from txns as a
    join declines as d
        on d.card_key = a.card_key and d.merchant_id = a.merchant_id
        and d.txn_time < a.txn_time
        and d.txn_time >= a.txn_time - interval {{ var('suspicion_card_testing_window_minutes') }} minutes
    where a.is_approved and a.txn_type = 'SALE'
      and exists (
          select 1 from declined_cards as c
          where c.card_key = a.card_key and c.merchant_id = a.merchant_id)
    group by a.journal_line_id
    having count(*) >= {{ var('suspicion_card_testing_min_declines') }}
),

-- A sale near a round limit: one row per limit it sits just under. A generator over the
-- limits in the select list, not a join without a key (a range join is a nested loop).
{%- set near_limits = [] %}
{%- for limit in var('suspicion_split_ticket_round_limits') %}
    {%- do near_limits.append('case when t.amount < ' ~ limit ~ ' and t.amount >= ' ~ limit ~ ' * '
                              ~ var('suspicion_split_ticket_near_limit_ratio') ~ ' then ' ~ limit ~ ' end') %}
{%- endfor %}
near_limit as (
    select * from (
        select t.*, {{ explode_values(near_limits) }} as round_limit
        from txns as t
        where t.is_approved and t.txn_type = 'SALE' and t.card_key is not null
    ) as candidates
    where round_limit is not null
),

split_ticket as (
    select
        a.journal_line_id,
        'SPLIT_TICKET' as suspicion_type,
        least(100, 30 + 20 * count(*)) as score,
        (count(*) + 1) || ' sales on one card just under ' || a.round_limit
            || ' within {{ var('suspicion_split_ticket_window_minutes') }} minutes'
            as reason
    from near_limit as a
    join near_limit as b
        on b.card_key = a.card_key and b.terminal_id = a.terminal_id
        and b.round_limit = a.round_limit and b.journal_line_id <> a.journal_line_id
        and abs({{ epoch_seconds('b.txn_time') }} - {{ epoch_seconds('a.txn_time') }}) <= {{ var('suspicion_split_ticket_window_minutes') * 60 }}
    group by a.journal_line_id, a.round_limit
),

hourly as (
    select terminal_id, hr, n, sum(n) over (partition by terminal_id) as total
    from (
        select terminal_id, hour(txn_time) as hr, count(*) as n
        from txns
        group by terminal_id, hour(txn_time)
    ) as terminal_hours
),

off_hours as (
    select
        t.journal_line_id,
        'OFF_HOURS' as suspicion_type,
        60 as score,
        'sale at ' || {{ format_timestamp('t.txn_time', 'HH:mm') }} || '; this terminal trades '
            || {{ share_percent_text('h.n', 'h.total') }} || '% of its volume in that hour' as reason
    from txns as t
    join hourly as h on h.terminal_id = t.terminal_id and h.hr = hour(t.txn_time)
    where t.is_approved and t.txn_type = 'SALE'
      and h.total >= {{ var('suspicion_off_hours_min_transactions') }}
      and h.n * {{ var('suspicion_off_hours_share_one_in') }} < h.total
),

refunds_with_card as (
    select * from txns where txn_type = 'REFUND' and card_key is not null
),

refund_other_card as (
    select
        r.journal_line_id,
        'REFUND_OTHER_CARD' as suspicion_type,
        80 as score,
        'refund to ' || coalesce(r.card_mask, '?') || ', original paid with '
            || coalesce(o.card_mask, '?') as reason
    from refunds_with_card as r
    join txns as o
        on o.merchant_id = r.merchant_id and o.rrn = r.orig_rrn
        and o.txn_type in ('SALE', 'PREAUTH_COMPLETE')
        -- Only the sales a refund names: the join stays small.
        and o.rrn in (select orig_rrn from refunds_with_card)
    where o.card_key is not null and r.card_key <> o.card_key
),

terminal_medians as {{ materialized_once() }} (
    select terminal_id, {{ median_amount('amount') }} as median_amount, count(*) as n
    from txns where txn_type = 'SALE' and is_approved
    group by terminal_id
),

amount_outlier as (
    select
        t.journal_line_id,
        'AMOUNT_OUTLIER' as suspicion_type,
        case when t.amount % 10 = 0 then 70 else 50 end as score,
        t.amount || ' is ' || {{ ratio_text('t.amount', 'm.median_amount') }} || '× the terminal median '
            || m.median_amount || case when t.amount % 10 = 0 then ' (an extra zero?)' else '' end
            as reason
    from txns as t
    join terminal_medians as m using (terminal_id)
    where t.txn_type = 'SALE' and t.is_approved and m.n >= {{ var('suspicion_outlier_min_sales') }}
      and t.amount >= {{ var('suspicion_outlier_median_multiple') }} * m.median_amount
),

hits as (
    select * from card_testing
    union all select journal_line_id, suspicion_type, score, reason from split_ticket
    union all select * from off_hours
    union all select * from refund_other_card
    union all select * from amount_outlier
),

-- One hit per rule and line: the highest score (then the first reason).
ranked_hits as (
    select
        hits.*,
        row_number() over (
            partition by suspicion_type, journal_line_id
            order by score desc nulls last, reason asc nulls last
        ) as hit_rank
    from hits
)

select
    {{ surrogate_key(['hits.suspicion_type', 'hits.journal_line_id']) }} as suspicion_id,
    hits.suspicion_type,
    hits.score,
    hits.reason,
    t.merchant_id, t.store_id, t.terminal_id, t.batch_no, t.trace_no, t.rrn, t.order_no,
    t.txn_time, t.business_date, t.amount, t.card_mask, t.operator_id,
    hits.journal_line_id
from ranked_hits as hits
join txns as t on t.journal_line_id = hits.journal_line_id
where hits.hit_rank = 1
