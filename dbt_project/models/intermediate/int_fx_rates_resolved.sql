{#- The rate for every (currency, day) that orders or spend need: the latest rate on or before
    that day, at most `fx_max_staleness_days` old. Resolving distinct days first keeps the range
    join small however many orders there are. -#}
with

needed_days as (

    {#- Every delivery of the orders, staged row by row: the staging view would pick the newest delivery
        of every order first, a costly step here; a superseded delivery's day only resolves a rate more. -#}
    select distinct
        currency_code,
        {{ dbt.cast(to_reporting_time('ordered_at'), 'date') }} as rate_day
    from (select {{ staged_order_columns() }} from {{ source('shop', 'orders') }}) as delivered_orders
    where currency_code <> '{{ var("reporting_currency") }}'

    union

    select distinct currency_code, spend_date
    from {{ ref('stg_marketing__spend') }}
    where currency_code <> '{{ var("reporting_currency") }}'

),

candidates as (

    select
        needed_days.currency_code,
        needed_days.rate_day,
        rates.rate_to_reporting,
        row_number() over (
            partition by needed_days.currency_code, needed_days.rate_day
            order by rates.rate_date desc
        ) as recency_rank
    from needed_days
    inner join {{ ref('stg_finance__fx_rates') }} as rates
        on rates.currency_code = needed_days.currency_code
        and rates.rate_date <= needed_days.rate_day
        and rates.rate_date >= {{ dbt.dateadd('day', -var('fx_max_staleness_days'), 'needed_days.rate_day') }}

)

select currency_code, rate_day, rate_to_reporting
from candidates
where recency_rank = 1
