{#- Reconciles the customers mart with the orders it came from: the mart's net revenue must equal
    the orders' net revenue (completed and refunded amounts minus refunds), in the reporting
    currency. A model rather than a two-parent test, so that the check runs after the mart is built
    even when Dagster builds the project in several steps. -#}
with

mart as (

    select coalesce(sum(net_revenue), 0) as net_revenue from {{ ref('customers') }}

),

orders as (

    select coalesce(sum(gross_revenue) - sum(refund_amount), 0) as net_revenue
    from {{ ref('int_orders_converted') }}
    where has_fx_rate

)

select
    mart.net_revenue as mart_net_revenue,
    orders.net_revenue as orders_net_revenue
from mart
cross join orders
