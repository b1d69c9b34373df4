{#- Every terminal journal line in one vocabulary, kept incrementally: a refresh appends the
    lines of files it has not seen and drops the lines of files that were superseded since, so
    its cost follows the new data, not the history. Anything that can change after a line
    arrives (the terminal register, response-code categories) is joined downstream. -#}
{{
    config(
        materialized=keyed_incremental(),
        unique_key='journal_line_id',
        incremental_strategy='delete+insert',
        meta={'build_window': {'by': 'file'}},
        post_hook=["{{ drop_unloaded_files() }}"]
    )
}}

with journal as {{ not_materialized() }} (
    select
        journal_line_id, file_id, line_no, source_layout, merchant_id, terminal_id, batch_no,
        trace_no, rrn, auth_code, txn_time, business_date, txn_type, orig_trace_no, orig_rrn,
        order_no, channel, channel_group, card_token, card_mask, card_type, amount, currency,
        resp_code, operator_id
    from {{ ref('stg_pos_journal__v1_transactions') }}
    union all
    select
        journal_line_id, file_id, line_no, source_layout, merchant_id, terminal_id, batch_no,
        trace_no, rrn, auth_code, txn_time, business_date, txn_type, orig_trace_no, orig_rrn,
        order_no, channel, channel_group, card_token, card_mask, card_type, amount, currency,
        resp_code, operator_id
    from {{ ref('stg_pos_journal__cn_transactions') }}
)

select * from journal
{% if is_incremental() %}
where {{ new_files_only() }}
{% endif %}
