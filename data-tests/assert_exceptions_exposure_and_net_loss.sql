{#- fct_exceptions money rules: exposure_amount ≥ 0; 0 ≤ recovered_amount ≤ exposure_amount;
    net_loss = exposure_amount − recovered_amount floored at 0. -#}
select
    exception_id,
    exception_type,
    exposure_amount,
    recovered_amount,
    net_loss,
    greatest(exposure_amount - recovered_amount, 0) as expected_net_loss
from {{ ref('fct_exceptions') }}
where exposure_amount is null
   or exposure_amount < 0
   or recovered_amount is null
   or recovered_amount < 0
   or recovered_amount > exposure_amount
   or net_loss is distinct from greatest(exposure_amount - recovered_amount, 0)
