{#- When and how each customer was acquired: the first completed order sets the cohort month
    and the acquisition channel. Customers without a completed order have no cohort. -#}
with

completed_orders as (

    select
        customer_id,
        ordered_at,
        order_month,
        coalesce(order_channel, 'unknown') as order_channel,
        row_number() over (partition by customer_id order by ordered_at, order_id) as order_number
    from {{ ref('int_orders_converted') }}
    where is_completed

)

select
    customer_id,
    ordered_at as first_completed_order_at,
    order_month as cohort_month,
    order_channel as acquisition_channel
from completed_orders
where order_number = 1
