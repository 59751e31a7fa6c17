{#- The RFM summary the CLV models are fitted on, one row per customer with a completed order,
    in days, as Fader, Hardie & Lee (and lifetimes' summary_data_from_transaction_data) define it:
    purchases on the same day are one purchase; frequency = repeat purchase days; recency = days
    from the first to the last purchase day; T = days from the first purchase day to the as-of
    date; monetary_value = mean net margin of the repeat purchase days (0 without repeats), to 4 decimals.
    Orders after the as-of date, and orders without an exchange rate, are left out. -#}
with

purchase_days as (

    select
        orders.customer_id,
        orders.order_date as purchase_date,
        sum(orders.net_margin) as margin,
        row_number() over (partition by orders.customer_id order by orders.order_date) as purchase_number
    from {{ ref('int_orders_converted') }} as orders
    cross join {{ ref('int_as_of_dates') }} as as_of
    where orders.is_completed and orders.has_fx_rate and orders.order_date <= as_of.as_of_date
    group by orders.customer_id, orders.order_date

),

histories as (

    select
        customer_id,
        count(*) - 1 as frequency,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        sum(case when purchase_number > 1 then margin else 0 end) as repeat_margin
    from purchase_days
    group by customer_id

)

select
    histories.customer_id,
    {{ dbt.cast('histories.frequency', 'integer') }} as frequency,
    {{ dbt.cast(dbt.datediff('histories.first_purchase_date', 'histories.last_purchase_date', 'day'), 'integer') }} as recency,
    {{ dbt.cast(dbt.datediff('histories.first_purchase_date', 'as_of.as_of_date', 'day'), 'integer') }} as t,
    {#- rounded exactly (to a hundredth of a cent), so that every engine fits the models on the same numbers -#}
    {{ dbt.cast(round_half_up('case when histories.frequency > 0 then histories.repeat_margin / histories.frequency else 0 end', 4), 'double') }}
        as monetary_value,
    histories.first_purchase_date,
    histories.last_purchase_date
from histories
cross join {{ ref('int_as_of_dates') }} as as_of
