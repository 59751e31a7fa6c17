{#- One row per customer and day with a completed order: purchases on the same day are one purchase,
    as the CLV models count them. Each day with the gap in days since the customer's previous purchase
    day (null for the first) and their next purchase day (null for the latest), and the net margin of
    the day's orders that have an exchange rate (fx_orders of them). The stage history and the CLV's
    purchase histories both read these days, so every order is grouped by customer and day once, and a
    daily run groups only the orders of the customers it touched.
    Incremental: a daily run lists again the days of the customers with an order converted, or their
    orders summarised again (an order fewer), since the last build; customers left without a completed
    order are removed afterwards. -#}
-- depends_on: {{ ref('int_customer_order_summaries') }}
{{ incremental_where_supported(
    'customer_id',
    "delete from {{ this }} where customer_id not in (
        select customer_id from {{ ref('int_customer_order_summaries') }} where completed_orders > 0)"
) }}

{%- set incremental = is_incremental_with('listed_at') %}

with

{% if incremental -%}
changed_customers as (

    {{ customers_with_changed_orders('listed_at') }}

),

{% endif -%}
days as (

    select
        customer_id,
        order_date as purchase_day,
        sum(case when has_fx_rate then net_margin end) as margin,
        sum(case when has_fx_rate then 1 else 0 end) as fx_orders
    from {{ ref('int_orders_converted') }}
    where is_completed
    {%- if incremental %}
        and customer_id in (select customer_id from changed_customers)
    {%- endif %}
    group by customer_id, order_date

)

select
    customer_id,
    purchase_day,
    {{ days_between('lag(purchase_day) over customer_days', 'purchase_day') }} as gap_days,
    lead(purchase_day) over customer_days as next_purchase_day,
    margin,
    {{ dbt.cast('fx_orders', 'bigint') }} as fx_orders,
    -- when these days were listed: the watermark of the next incremental build
    {{ dbt.cast(dbt.current_timestamp(), 'timestamp') }} as listed_at
from days
window customer_days as (partition by customer_id order by purchase_day)
