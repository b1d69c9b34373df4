with source as {{ not_materialized() }} (
    select * from {{ source('reference', 'ref_terminals') }}
)

select
    terminal_id,
    merchant_id,
    store_id,
    store_name,
    region,
    acquirer,
    model,
    firmware,
    installed_on,
    file_id
from source
