{#- Journal lines ↔ settlement lines, one to one, by the first rule that pairs them:
      1 TERMINAL_BATCH_TRACE  cards and acquirer QR: terminal + batch + trace
      2 RRN                   retrieval reference number
      3 ORDER_DEVICE          wallet lines: merchant order number (and device, when given)
      4 TERMINAL_AMOUNT_TIME  same terminal and amount within var('match_window_seconds')
    A SALE pairs with a SALE line, a REFUND with a REFUND line; a PREAUTH_COMPLETE settles as
    a sale. Every pair says which rule made it.

    Windowed: a build pairs the journal lines of the build window's business dates with the
    settlement lines dated from the day before the window on that no earlier journal line holds.
    The refresh starts the window a day before the oldest line new data brings, so a settlement
    line meets every journal line it could pair with. -#}
{{
    config(
        materialized='incremental',
        unique_key='journal_line_id',
        incremental_strategy=window_strategy('date'),
        partition_by=window_partition('date'),
        meta={'build_window': {'by': 'date', 'column': 'business_date'}}
    )
}}

{#- Each step is a named query over the steps before it: a chain of CTEs on DuckDB, a chain of
    tables on Spark (chained_steps: Spark inlines every CTE under create table, and each pass
    reads the passes before it twice, so the inlined plan would double with every pass). -#}
{%- set steps = [] -%}

{%- set journal_sql -%}
    select
        journal_line_id, business_date, terminal_id, batch_no, trace_no, rrn, order_no, txn_time,
        amount,
        case when txn_type = 'PREAUTH_COMPLETE' then 'SALE' else txn_type end as family
    from {{ ref('int_transactions_paired') }}
    where txn_type in ('SALE', 'PREAUTH_COMPLETE', 'REFUND', 'VOID')
    {%- if is_incremental() %}
      and {{ in_build_window('business_date') }}
    {%- endif %}
{%- endset -%}
{%- do steps.append(('journal', journal_sql, 'inline')) -%}

{%- set lines_sql -%}
    select
        settlement_line_id, terminal_id, batch_no, trace_no, rrn, order_no, txn_time,
        gross_amount,
        case when txn_type = 'PREAUTH_COMPLETE' then 'SALE' else txn_type end as family
    from {{ ref('int_settlement_lines_unioned') }}
    {%- if is_incremental() %}
    where {{ in_build_window('txn_date', days_before=1) }}
      -- Held by a journal line before the window. Said outright: on Spark the window's old
      -- rows are still in the table until their partitions are overwritten.
      and settlement_line_id not in (
          select settlement_line_id from {{ this }} where business_date < {{ build_window_start() }})
    {%- endif %}
{%- endset -%}
{%- do steps.append(('lines', lines_sql, 'inline')) -%}

{#- Each rule runs in passes over what is still unmatched: a pass keeps the pairs that are each
    other's best candidate, so a later pass can pair the runners-up. A rule joins the unmatched
    journal and settlement lines once; its later passes take the candidate pairs whose both
    sides are still free (the same pairs the join of what is left would give), so only the
    few runners-up are read again, and the lines left over are set apart once per rule. -#}
{%- set rules = [
    (1, "l.terminal_id = j.terminal_id and l.batch_no = j.batch_no and l.trace_no = j.trace_no and l.family = j.family"),
    (2, "l.rrn = j.rrn and l.family = j.family"),
    (3, "l.order_no = j.order_no and l.family = j.family and (l.terminal_id is null or l.terminal_id = j.terminal_id)"),
    (4, "l.terminal_id = j.terminal_id and l.family = j.family and abs(l.gross_amount) = j.amount and abs(" ~ epoch_seconds('l.txn_time') ~ " - " ~ epoch_seconds('j.txn_time') ~ ") <= " ~ var('match_window_seconds')),
] -%}
{%- set passes = 3 -%}
{%- set gap = 'abs(' ~ epoch_seconds('l.txn_time') ~ ' - ' ~ epoch_seconds('j.txn_time') ~ ')' -%}
{%- set ns = namespace(journal='journal', lines='lines', pairs=[]) -%}
{%- for rank, condition in rules %}
{%- set rule = 'r' ~ rank %}

{%- set candidates_sql -%}
    select j.journal_line_id, j.business_date, l.settlement_line_id, {{ gap }} as gap
    from {{ step_relation(ns.journal) }} as j
    join {{ step_relation(ns.lines) }} as l on {{ condition }}
{%- endset -%}
{%- do steps.append((rule ~ '_candidates', candidates_sql)) -%}
{%- set ns.candidates = rule ~ '_candidates' %}
{%- set rule_pairs = [] %}

{%- for p in range(passes) %}
{%- set step = rule ~ '_' ~ p %}
{%- if p > 0 %}
{%- set free_sql -%}
    select * from {{ step_relation(ns.candidates) }} as c
    where not exists (select 1 from {{ step_relation(ns.pass) }} as s where s.journal_line_id = c.journal_line_id)
      and not exists (select 1 from {{ step_relation(ns.pass) }} as s where s.settlement_line_id = c.settlement_line_id)
{%- endset -%}
{%- do steps.append((step ~ '_candidates', free_sql)) -%}
{%- set ns.candidates = step ~ '_candidates' %}
{%- endif %}

{%- set pairs_sql -%}
    select journal_line_id, business_date, settlement_line_id, {{ rank }} as rule_rank
    from (
        select
            journal_line_id, business_date, settlement_line_id,
            row_number() over (
                partition by journal_line_id
                order by gap asc nulls last, settlement_line_id asc nulls last
            ) as journal_choice,
            row_number() over (
                partition by settlement_line_id
                order by gap asc nulls last, journal_line_id asc nulls last
            ) as line_choice
        from {{ step_relation(ns.candidates) }}
    ) as ranked
    where journal_choice = 1 and line_choice = 1
{%- endset -%}
{%- do steps.append((step, pairs_sql)) -%}
{%- set ns.pass = step %}
{%- do rule_pairs.append(step) %}
{%- do ns.pairs.append(step) %}
{%- endfor %}

{%- if not loop.last %}
{%- set rule_pairs_sql -%}
    {%- for step in rule_pairs %}
    select journal_line_id, settlement_line_id from {{ step_relation(step) }}{% if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endset -%}
{%- do steps.append((rule ~ '_pairs', rule_pairs_sql)) -%}

{%- set journal_left_sql -%}
    select * from {{ step_relation(ns.journal) }} as j
    where not exists (select 1 from {{ step_relation(rule ~ '_pairs') }} as s where s.journal_line_id = j.journal_line_id)
{%- endset -%}
{%- do steps.append((rule ~ '_journal', journal_left_sql, 'inline')) -%}

{%- set lines_left_sql -%}
    select * from {{ step_relation(ns.lines) }} as l
    where not exists (select 1 from {{ step_relation(rule ~ '_pairs') }} as s where s.settlement_line_id = l.settlement_line_id)
{%- endset -%}
{%- do steps.append((rule ~ '_lines', lines_left_sql, 'inline')) -%}

{%- set ns.journal = rule ~ '_journal' %}
{%- set ns.lines = rule ~ '_lines' %}
{%- endif %}
{%- endfor %}

{{ chained_steps(steps) }}

select
    journal_line_id,
    business_date,
    settlement_line_id,
    case rule_rank
        when 1 then 'TERMINAL_BATCH_TRACE' when 2 then 'RRN'
        when 3 then 'ORDER_DEVICE' else 'TERMINAL_AMOUNT_TIME'
    end as match_rule,
    rule_rank <= 3 as matched_on_keys
from (
    {%- for step in ns.pairs %}
    select * from {{ step_relation(step) }}{% if not loop.last %} union all{% endif %}
    {%- endfor %}
) as matched
