{#- How many of each terminal's journal lines of each channel settled with which acquirer and
    merchant number, per business date: fct_transactions learns each terminal's routes from
    these counts. Windowed, so that a build counts only the window's matches. -#}
{{
    config(
        materialized=keyed_incremental(),
        unique_key='route_day_id',
        incremental_strategy='delete+insert',
        meta={'build_window': {'by': 'date', 'column': 'business_date'}}
    )
}}

with matches as {{ not_materialized() }} (
    select * from {{ ref('int_transactions_matched') }}
    {%- if is_incremental() %}
    where {{ in_build_window('business_date') }}
    {%- endif %}
)

select
    {{ surrogate_key(['t.terminal_id', 't.channel', 'l.acquirer', 'l.merchant_id', 'm.business_date']) }}
        as route_day_id,
    t.terminal_id,
    t.channel,
    l.acquirer,
    l.merchant_id,
    m.business_date,
    count(*) as matched_lines
from matches as m
join {{ ref('int_transactions_paired') }} as t on t.journal_line_id = m.journal_line_id
join {{ ref('int_settlement_lines_unioned') }} as l on l.settlement_line_id = m.settlement_line_id
group by t.terminal_id, t.channel, l.acquirer, l.merchant_id, m.business_date
