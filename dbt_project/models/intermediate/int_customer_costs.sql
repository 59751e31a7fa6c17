{#- What each person cost, and when a buyer had paid it back. Cost to serve: every support ticket at
    the contact cost of its channel (var `cost_per_contact`). Acquisition cost: the CAC of the
    buyer's acquisition channel and cohort month, where that channel's spend is known. Profitable
    since: the first completed order at which the buyer's cumulative net margin covered the
    acquisition cost and the cost of every ticket they had opened by then; null while it has not. -#}
with

tickets as (

    select customer_id, created_at, {{ contact_cost('ticket_channel') }} as contact_cost
    from {{ ref('stg_support__tickets') }}

),

served as (

    select customer_id, sum(contact_cost) as cost_to_serve
    from tickets
    group by customer_id

),

buyers as (

    select acquired.customer_id, acquired.cohort_month, costs.cac as acquisition_cost
    from {{ ref('int_customers_acquired') }} as acquired
    left join {{ ref('int_acquisition_costs') }} as costs
        on costs.acquisition_channel = acquired.acquisition_channel and costs.cohort_month = acquired.cohort_month

),

-- margin earned and support cost incurred, in the order they happened (a ticket before an order of the same moment)
ledger as (

    select orders.customer_id, orders.ordered_at as happened_at, 1 as is_order, coalesce(orders.net_margin, 0) as amount
    from {{ ref('int_orders_converted') }} as orders
    inner join buyers on buyers.customer_id = orders.customer_id
    where orders.is_completed

    union all

    select tickets.customer_id, tickets.created_at as happened_at, 0 as is_order, -tickets.contact_cost as amount
    from tickets
    inner join buyers on buyers.customer_id = tickets.customer_id

),

balances as (

    select
        customer_id,
        happened_at,
        is_order,
        sum(amount) over (
            partition by customer_id order by happened_at, is_order rows between unbounded preceding and current row
        ) as balance
    from ledger

),

paid_back as (

    select balances.customer_id, min(balances.happened_at) as profitable_since
    from balances
    inner join buyers on buyers.customer_id = balances.customer_id
    where balances.is_order = 1 and balances.balance >= coalesce(buyers.acquisition_cost, 0)
    group by balances.customer_id

),

people as (

    select customer_id from served
    union
    select customer_id from buyers

)

select
    people.customer_id,
    coalesce(served.cost_to_serve, 0) as cost_to_serve,
    buyers.acquisition_cost,
    paid_back.profitable_since,
    {%- set profitable_day = dbt.cast(to_reporting_time('paid_back.profitable_since'), 'date') %}
    12 * (extract(year from {{ profitable_day }}) - extract(year from buyers.cohort_month))
        + extract(month from {{ profitable_day }}) - extract(month from buyers.cohort_month) as months_to_profitability
from people
left join served on served.customer_id = people.customer_id
left join buyers on buyers.customer_id = people.customer_id
left join paid_back on paid_back.customer_id = people.customer_id
