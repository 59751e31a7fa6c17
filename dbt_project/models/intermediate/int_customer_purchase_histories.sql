{#- The RFM summary the CLV models are fitted on, one row per customer with a completed order,
    in days, as Fader, Hardie & Lee (and lifetimes' summary_data_from_transaction_data) define it:
    purchases on the same day are one purchase; frequency = repeat purchase days; recency = days
    from the first to the last purchase day; T = days from the first purchase day to the as-of
    date; monetary_value = mean net margin of the repeat purchase days (0 without repeats), to 4 decimals.
    Orders after the as-of date, and orders without an exchange rate, are left out. The days come
    from `int_customer_purchase_days`, each customer's orders grouped by day once. -#}
with

-- the purchase days with an order that has an exchange rate, up to the as-of date
histories as (

    select
        days.customer_id,
        count(*) - 1 as frequency,
        min(days.purchase_day) as first_purchase_date,
        max(days.purchase_day) as last_purchase_date,
        -- the margin of every purchase day but the first
        sum(days.margin) - min_by(days.margin, days.purchase_day) as repeat_margin
    from {{ ref('int_customer_purchase_days') }} as days
    cross join {{ ref('int_as_of_dates') }} as as_of
    where days.fx_orders > 0 and days.purchase_day <= as_of.as_of_date
    group by days.customer_id

)

select
    histories.customer_id,
    {{ dbt.cast('histories.frequency', 'integer') }} as frequency,
    {{ dbt.cast(dbt.datediff('histories.first_purchase_date', 'histories.last_purchase_date', 'day'), 'integer') }}
        as recency,
    {{ dbt.cast(dbt.datediff('histories.first_purchase_date', 'as_of.as_of_date', 'day'), 'integer') }} as t,
    {#- rounded exactly (to a hundredth of a cent), so that every engine fits the models on the same numbers -#}
    {%- set repeat_margin_per_purchase =
        'case when histories.frequency > 0 then histories.repeat_margin / histories.frequency else 0 end' %}
    {{ dbt.cast(round_half_up(repeat_margin_per_purchase, 4), 'double') }} as monetary_value,
    histories.first_purchase_date,
    histories.last_purchase_date
from histories
cross join {{ ref('int_as_of_dates') }} as as_of
