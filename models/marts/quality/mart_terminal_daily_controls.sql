{#- Per terminal (merchant number × terminal number) and business date, over a gap-free date
    spine from the terminal's first to its last trading day: volume, terminal-attributable
    errors, a p-chart of the error rate against the terminal's own recent history, and the
    day's volume against the same weekday of the previous weeks.

    "Error" uses mart_error_rates' decline categories: network / switch unavailable, timeouts
    and no response (declines_network_or_timeout), merchant / terminal configuration
    (declines_merchant_terminal_config) and key / session out of sync
    (declines_terminal_key_session). Customer, issuer and fraud declines are not errors.

    On a quiet terminal a single error can exceed 3σ of a small center rate, so a day also
    needs var('control_min_errors') errors to be out of control.

    Rates and limits are published rounded to 6 decimals and the flags are decided on the
    published values, so a reader can re-derive every flag from the row. -#}
{%- set history_days = var('control_history_days') | int -%}
{%- set sigmas = var('control_limit_sigmas') -%}
{%- set min_history_days = var('control_min_history_days') | int -%}
{%- set baseline_days = 7 * (var('volume_baseline_weeks') | int) -%}
{%- set min_observations = var('volume_baseline_min_observations') | int -%}

with cells as (
    -- mart_error_rates is already aggregated per terminal, day, channel and acquirer: one
    -- more group by gives terminal-days without touching the transactions again. Rows that
    -- carry only exceptions (no journal volume) do not make a day active.
    select
        merchant_id,
        terminal_id,
        business_date,
        max(store_id) as store_id,
        sum(transactions) as transactions,
        sum(declines_network_or_timeout + declines_merchant_terminal_config
            + declines_terminal_key_session) as errors
    from {{ ref('mart_error_rates') }}
    where transactions > 0
    group by merchant_id, terminal_id, business_date
),

terminals as (
    select
        merchant_id,
        terminal_id,
        max(store_id) as store_id,
        min(business_date) as first_active_date,
        max(business_date) as last_active_date
    from cells
    group by merchant_id, terminal_id
),

spine as (
    select
        merchant_id,
        store_id,
        terminal_id,
        {{ explode_days('first_active_date', 'last_active_date') }} as business_date
    from terminals
),

days as (
    select
        s.merchant_id,
        s.store_id,
        s.terminal_id,
        s.business_date,
        {{ iso_weekday('s.business_date') }} as weekday,
        coalesce(c.transactions, 0) as transactions,
        coalesce(c.errors, 0) as errors
    from spine as s
    left join cells as c
        on c.merchant_id = s.merchant_id
        and c.terminal_id = s.terminal_id
        and c.business_date = s.business_date
),

history as (
    select
        *,
        count(case when transactions > 0 then 1 end) over prior_days as history_days,
        sum(transactions) over prior_days as history_transactions,
        sum(errors) over prior_days as history_errors,
        avg(transactions) over prior_weekdays as weekday_mean,
        count(*) over prior_weekdays as weekday_observations
    from days
    -- Framed in day numbers: Spark does not frame a date order by an interval.
    window
        prior_days as (
            partition by merchant_id, terminal_id
            order by {{ day_number('business_date') }} asc nulls last
            range between {{ history_days }} preceding and 1 preceding
        ),
        prior_weekdays as (
            partition by merchant_id, terminal_id, weekday
            order by {{ day_number('business_date') }} asc nulls last
            range between {{ baseline_days }} preceding and 1 preceding
        )
),

rates as (
    select
        *,
        errors / nullif(transactions, 0) as error_rate_exact,
        history_errors / nullif(history_transactions, 0) as center_exact,
        case when weekday_observations >= {{ min_observations }} then weekday_mean end
            as weekday_baseline_exact
    from history
),

limits as (
    select
        *,
        {{ sigmas }} * sqrt(center_exact * (1 - center_exact) / nullif(transactions, 0)) as spread
    from rates
),

published as (
    select
        merchant_id,
        store_id,
        terminal_id,
        business_date,
        weekday,
        transactions,
        errors,
        {{ round_double('error_rate_exact', 6) }} as error_rate,
        coalesce(history_days, 0) as history_days,
        coalesce(history_transactions, 0) as history_transactions,
        coalesce(history_errors, 0) as history_errors,
        {{ round_double('center_exact', 6) }} as center_rate,
        -- greatest / least skip nulls: no limits without a center and a volume.
        case when spread is not null
            then {{ round_double('greatest(center_exact - spread, 0)', 6) }} end as lcl,
        case when spread is not null
            then {{ round_double('least(center_exact + spread, 1)', 6) }} end as ucl,
        {{ round_double('weekday_baseline_exact', 2) }} as weekday_baseline,
        {{ round_double('transactions / nullif(weekday_baseline_exact, 0)', 6) }}
            as volume_ratio
    from limits
)

select
    {{ surrogate_key(['merchant_id', 'terminal_id', 'business_date']) }} as terminal_day_id,
    merchant_id,
    store_id,
    terminal_id,
    business_date,
    weekday,
    transactions,
    errors,
    error_rate,
    history_days,
    history_transactions,
    history_errors,
    center_rate,
    lcl,
    ucl,
    coalesce(history_days >= {{ min_history_days }}
             and errors >= {{ var('control_min_errors') | int }}
             and error_rate > ucl, false) as is_out_of_control,
    weekday_baseline,
    volume_ratio,
    coalesce(weekday_baseline >= {{ var('volume_min_baseline') }}
             and volume_ratio < {{ var('volume_drop_ratio') }}, false) as is_volume_drop
from published
