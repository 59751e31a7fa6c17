{#- One row per customer with an order: what the customer 360 needs of the orders that does not depend on
    the as-of date (counts, money, first and last orders, the acquiring order, the latest gap between
    completed orders). The customers mart adds recency, tenure and scores to it.
    Incremental: a daily run summarises again only the customers with an order converted since the
    last build of this model (new, re-delivered or re-converted by a late FX rate) or with fewer
    orders than their summary counts (an order that left staging); customers left without orders are
    removed afterwards. -#}
{{ incremental_where_supported(
    'customer_id',
    "delete from {{ this }} where customer_id not in (select customer_id from {{ ref('int_orders_converted') }})"
) }}

with

{% if is_incremental() -%}
changed_customers as (

    {{ people_to_summarise_again(ref('int_orders_converted'), 'converted_at', 'orders') }}

),

{% endif -%}
{#- The orders to summarise, read twice below as a subquery rather than a CTE: DuckDB materialises a CTE
    read twice, a copy of every order. -#}
{%- set orders -%}
    {%- if is_incremental() -%}
    (select * from {{ ref('int_orders_converted') }} where customer_id in (select customer_id from changed_customers))
    {%- else -%}
    {{ ref('int_orders_converted') }}
    {%- endif -%}
{%- endset %}

{#- Completed orders in order, in one window pass: the acquiring order is number 1; the latest gap is
    the longest gap on the day of the latest completed order (orders after the first that day have a
    gap of 0; a customer whose completed orders all fall on one day has a gap of 0, with one order none). -#}
completed_orders as (

    select
        customer_id,
        ordered_at,
        order_date,
        order_month,
        coalesce(order_channel, 'unknown') as order_channel,
        net_margin,
        row_number() over customer_orders as order_number,
        {{ days_between('lag(order_date) over customer_orders', 'order_date') }} as days_since_previous_order,
        max(order_date) over (partition by customer_id) as last_completed_order_date
    from {{ orders }} as orders
    where is_completed
    window customer_orders as (partition by customer_id order by ordered_at, order_id)

),

completed_totals as (

    select
        customer_id,
        max(case when order_number = 1 then ordered_at end) as first_completed_order_at,
        max(case when order_number = 1 then order_month end) as cohort_month,
        max(case when order_number = 1 then order_channel end) as acquisition_channel,
        max(case when order_number = 1 then net_margin end) as first_completed_order_margin,
        max(case when order_number = 2 then ordered_at end) as second_completed_order_at,
        max(case when order_date = last_completed_order_date then days_since_previous_order end) as last_gap_days
    from completed_orders
    group by customer_id

),

order_totals as (

    select
        customer_id,
        count(*) as orders,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        max(case when is_completed then ordered_at end) as last_completed_order_at,
        sum(case when is_completed then 1 else 0 end) as completed_orders,
        sum(case when order_status = 'refunded' then 1 else 0 end) as refunded_orders,
        sum(case when order_status = 'cancelled' then 1 else 0 end) as cancelled_orders,
        sum(case when not has_fx_rate then 1 else 0 end) as orders_without_fx_rate,
        sum(gross_revenue) as gross_revenue,
        sum(refund_amount) as refunds,
        sum(net_revenue) as net_revenue,
        sum(net_margin) as net_margin,
        max(case when is_completed and margin_is_estimated then 1 else 0 end) = 1 as has_estimated_margin
    from {{ orders }} as orders
    group by customer_id

)

select
    order_totals.*,
    completed_totals.first_completed_order_at,
    completed_totals.cohort_month,
    completed_totals.acquisition_channel,
    completed_totals.first_completed_order_margin,
    completed_totals.second_completed_order_at,
    completed_totals.last_gap_days,
    -- when this summary was computed: the watermark of the next incremental build
    {{ dbt.cast(dbt.current_timestamp(), "timestamp") }} as summarised_at
from order_totals
left join completed_totals on completed_totals.customer_id = order_totals.customer_id
