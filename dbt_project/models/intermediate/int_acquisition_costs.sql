{#- What acquiring a customer cost, per paid channel and cohort month: rows exist where spend was
    delivered. CAC = spend / new customers (null without new customers); spend in another currency
    is converted day by day at that day's rate, and a day without a rate is left out and counted. -#}
with

spend as (

    select
        {{ month_start('spend.spend_date') }} as cohort_month,
        spend.marketing_channel as acquisition_channel,
        sum(case
            when spend.currency_code = '{{ var("reporting_currency") }}' then spend.spend_amount
            -- each day in whole cents first: a sum of doubles depends on the order rows arrive in
            else {{ to_money('spend.spend_amount * rates.rate_to_reporting') }}
        end) as marketing_spend,
        sum(case
            when spend.currency_code <> '{{ var("reporting_currency") }}' and rates.rate_to_reporting is null then 1
            else 0
        end) as spend_days_without_fx_rate
    from {{ ref('stg_marketing__spend') }} as spend
    left join {{ ref('int_fx_rates_resolved') }} as rates
        on rates.currency_code = spend.currency_code and rates.rate_day = spend.spend_date
    group by 1, 2

),

new_customers as (

    select cohort_month, acquisition_channel, count(*) as new_customers
    from {{ ref('int_customers_acquired') }}
    group by 1, 2

)

select
    spend.cohort_month,
    spend.acquisition_channel,
    spend.marketing_spend,
    spend.spend_days_without_fx_rate,
    coalesce(new_customers.new_customers, 0) as new_customers,
    spend.marketing_spend / nullif(new_customers.new_customers, 0) as cac
from spend
left join new_customers
    on new_customers.cohort_month = spend.cohort_month and new_customers.acquisition_channel = spend.acquisition_channel
