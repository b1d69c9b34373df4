{#- Journal lines ↔ settlement lines, one to one, by the first rule that pairs them:
      1 TERMINAL_BATCH_TRACE  cards and acquirer QR: terminal + batch + trace
      2 RRN                   retrieval reference number
      3 ORDER_DEVICE          wallet lines: merchant order number (and device, when given)
      4 TERMINAL_AMOUNT_TIME  same terminal and amount within var('match_window_seconds')
    A SALE pairs with a SALE line, a REFUND with a REFUND line; a PREAUTH_COMPLETE settles as
    a sale. Every pair says which rule made it. -#}
with journal as (
    select
        journal_line_id, terminal_id, batch_no, trace_no, rrn, order_no, txn_time, amount,
        case when txn_type = 'PREAUTH_COMPLETE' then 'SALE' else txn_type end as family
    from {{ ref('int_transactions_paired') }}
    where txn_type in ('SALE', 'PREAUTH_COMPLETE', 'REFUND', 'VOID')
),

lines as (
    select
        settlement_line_id, terminal_id, batch_no, trace_no, rrn, order_no, txn_time,
        gross_amount,
        case when txn_type = 'PREAUTH_COMPLETE' then 'SALE' else txn_type end as family
    from {{ ref('int_settlement_lines_unioned') }}
),

rule_1 as (
    select j.journal_line_id, l.settlement_line_id, 1 as rule_rank
    from journal as j
    join lines as l
        on l.terminal_id = j.terminal_id and l.batch_no = j.batch_no
        and l.trace_no = j.trace_no and l.family = j.family
    qualify row_number() over (partition by j.journal_line_id order by l.settlement_line_id) = 1
        and row_number() over (partition by l.settlement_line_id order by j.journal_line_id) = 1
),

journal_1 as (
    select * from journal anti join rule_1 using (journal_line_id)
),

lines_1 as (
    select * from lines anti join rule_1 using (settlement_line_id)
),

rule_2 as (
    select j.journal_line_id, l.settlement_line_id, 2 as rule_rank
    from journal_1 as j
    join lines_1 as l on l.rrn = j.rrn and l.family = j.family
    qualify row_number() over (
            partition by j.journal_line_id order by abs(epoch(l.txn_time) - epoch(j.txn_time)), l.settlement_line_id) = 1
        and row_number() over (
            partition by l.settlement_line_id order by abs(epoch(l.txn_time) - epoch(j.txn_time)), j.journal_line_id) = 1
),

journal_2 as (
    select * from journal_1 anti join rule_2 using (journal_line_id)
),

lines_2 as (
    select * from lines_1 anti join rule_2 using (settlement_line_id)
),

rule_3 as (
    select j.journal_line_id, l.settlement_line_id, 3 as rule_rank
    from journal_2 as j
    join lines_2 as l
        on l.order_no = j.order_no and l.family = j.family
        and (l.terminal_id is null or l.terminal_id = j.terminal_id)
    qualify row_number() over (
            partition by j.journal_line_id order by abs(epoch(l.txn_time) - epoch(j.txn_time)), l.settlement_line_id) = 1
        and row_number() over (
            partition by l.settlement_line_id order by abs(epoch(l.txn_time) - epoch(j.txn_time)), j.journal_line_id) = 1
),

journal_3 as (
    select * from journal_2 anti join rule_3 using (journal_line_id)
),

lines_3 as (
    select * from lines_2 anti join rule_3 using (settlement_line_id)
),

rule_4 as (
    select j.journal_line_id, l.settlement_line_id, 4 as rule_rank
    from journal_3 as j
    join lines_3 as l
        on l.terminal_id = j.terminal_id and l.family = j.family
        and abs(l.gross_amount) = j.amount
        and abs(epoch(l.txn_time) - epoch(j.txn_time)) <= {{ var('match_window_seconds') }}
    qualify row_number() over (
            partition by j.journal_line_id order by abs(epoch(l.txn_time) - epoch(j.txn_time)), l.settlement_line_id) = 1
        and row_number() over (
            partition by l.settlement_line_id order by abs(epoch(l.txn_time) - epoch(j.txn_time)), j.journal_line_id) = 1
),

matched as (
    select * from rule_1
    union all select * from rule_2
    union all select * from rule_3
    union all select * from rule_4
)

select
    journal_line_id,
    settlement_line_id,
    case rule_rank
        when 1 then 'TERMINAL_BATCH_TRACE' when 2 then 'RRN'
        when 3 then 'ORDER_DEVICE' else 'TERMINAL_AMOUNT_TIME'
    end as match_rule,
    rule_rank <= 3 as matched_on_keys
from matched
