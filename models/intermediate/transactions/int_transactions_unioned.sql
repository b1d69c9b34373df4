{#- Every terminal journal line in one vocabulary, with its terminal's store and acquirer. -#}
with journal as (
    select * from {{ ref('stg_pos_journal__v1_transactions') }}
    union all by name
    select * from {{ ref('stg_pos_journal__cn_transactions') }}
),

terminals as (
    select * from {{ ref('stg_reference__terminals') }}
),

response_codes as (
    select * from {{ ref('int_response_codes_categorised') }}
)

select
    journal.*,
    terminals.store_id,
    terminals.store_name,
    terminals.acquirer as terminal_acquirer,
    coalesce(response_codes.category, case when journal.resp_code is null then 'no_response' else 'unknown_code' end)
        as resp_category,
    coalesce(response_codes.is_approved, false) as is_approved,
    -- No response, or a timeout code: the terminal cannot know whether the host approved.
    (journal.resp_code is null or journal.resp_code in {{ sql_list(var('timeout_codes')) }})
        as is_unknown_outcome
from journal
left join terminals on terminals.terminal_id = journal.terminal_id
left join response_codes on response_codes.code = journal.resp_code
