{#- The customers mart loses no money: its net revenue equals the net revenue of the orders
    (completed and refunded amounts minus refunds), in the reporting currency. -#}
with

mart as (

    select coalesce(sum(net_revenue), 0) as net_revenue from {{ ref('customers') }}

),

orders as (

    select coalesce(sum(gross_revenue) - sum(refund_amount), 0) as net_revenue
    from {{ ref('int_orders_converted') }}
    where has_fx_rate

)

select mart.net_revenue as mart_net_revenue, orders.net_revenue as orders_net_revenue
from mart
cross join orders
where mart.net_revenue <> orders.net_revenue
