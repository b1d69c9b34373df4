{#- Money invariant: on every settlement line of every layout, net = gross − fee, to the fen.
    (For acquirer statements and Adyen these are the file's own figures, so this also checks
    the files; for wallet bills net is derived.) Returns the offending lines. -#}
select
    settlement_line_id,
    source_layout,
    file_id,
    line_no,
    gross_amount,
    fee_amount,
    net_amount,
    gross_amount - fee_amount as expected_net_amount
from {{ ref('fct_settlement_lines') }}
where net_amount is distinct from gross_amount - fee_amount
