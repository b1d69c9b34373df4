{#- Which merchant-days and terminal-days the loaded journal files cover: one row per merchant
    number, terminal and business date with at least one journal line. A merchant-day is
    covered when any of its terminals has a line that day (a journal file is one merchant-day);
    a settlement line that finds no journal line on an uncovered day waits for its journal
    (fct_settlement_lines.match_status PENDING_JOURNAL) instead of becoming an exception.
    Coverage is per day, not "through the latest date", so a missing or quarantined file in
    the middle of the history is a gap. -#}
select
    {{ surrogate_key(['merchant_id', 'terminal_id', 'business_date']) }} as journal_day_id,
    merchant_id,
    terminal_id,
    business_date,
    count(*) as journal_lines,
    count(distinct file_id) as files
from {{ ref('int_transactions_unioned') }}
where merchant_id is not null and terminal_id is not null and business_date is not null
group by merchant_id, terminal_id, business_date
