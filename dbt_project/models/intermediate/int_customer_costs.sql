{#- What each buyer cost to acquire, and when they had paid it back. Acquisition cost: the CAC of the
    buyer's acquisition channel and cohort month, where that channel's spend is known. Profitable
    since: the first completed order at which the buyer's cumulative net margin covered the
    acquisition cost and the cost of every ticket they had opened by then (each at the contact cost
    of its channel, var `cost_per_contact`); null while it has not. The cost to serve itself is in
    `int_customer_support_summaries`. Most buyers are paid back by their first completed order, whose
    margin the order summaries keep: only the others' orders and tickets are put in sequence for the
    running balance.
    Incremental: a daily run works out again only the buyers with an order converted, orders or
    tickets summarised again, another number of tickets, or another acquisition cost since the last
    build; people no longer buyers are removed afterwards. -#}
-- depends_on: {{ ref('int_customer_order_summaries') }}
{{ incremental_where_supported(
    'customer_id',
    "delete from {{ this }} where customer_id not in (select customer_id from {{ ref('int_customers_acquired') }})"
) }}

with

buyers as (

    select
        acquired.customer_id,
        acquired.cohort_month,
        acquired.first_completed_order_at,
        coalesce(acquired.first_completed_order_margin, 0) as first_order_margin,
        costs.cac as acquisition_cost
    from {{ ref('int_customers_acquired') }} as acquired
    left join {{ ref('int_acquisition_costs') }} as costs
        on costs.acquisition_channel = acquired.acquisition_channel and costs.cohort_month = acquired.cohort_month

),

{%- set incremental = is_incremental_with('costed_at') %}
{% if incremental -%}
changed_customers as (

    {{ customers_with_changed_orders('costed_at') }}

    union

    select customer_id
    from {{ ref('int_customer_support_summaries') }}
    where summarised_at > {{ built_watermark('costed_at') }}

    union

    -- new buyers, buyers whose channel and cohort month has another CAC (more spend delivered), and
    -- buyers with another number of tickets than were costed (a person's last ticket that left
    -- staging takes their support summary with it)
    select buyers.customer_id
    from buyers
    left join {{ this }} as built on built.customer_id = buyers.customer_id
    left join {{ ref('int_customer_support_summaries') }} as support on support.customer_id = buyers.customer_id
    where built.customer_id is null
        or built.acquisition_cost is distinct from buyers.acquisition_cost
        or built.tickets <> coalesce(support.tickets, 0)

),

changed_buyers as (

    select * from buyers where customer_id in (select customer_id from changed_customers)

),

{% endif -%}
{%- set buyers = 'changed_buyers' if incremental else 'buyers' %}

-- each ticket at the contact cost of its channel
tickets as (

    select tickets.customer_id, tickets.created_at, {{ contact_cost('tickets.ticket_channel') }} as contact_cost
    from {{ ref('stg_support__tickets') }} as tickets
    inner join {{ buyers }} as buyers on buyers.customer_id = tickets.customer_id

),

-- the balance after the first completed order: its margin less the tickets opened up to it (a
-- ticket before an order of the same moment)
first_orders as (

    select
        buyers.customer_id,
        buyers.first_completed_order_at,
        coalesce(buyers.acquisition_cost, 0) as acquisition_cost,
        buyers.first_order_margin - coalesce(sum(tickets.contact_cost), 0) >= coalesce(buyers.acquisition_cost, 0)
            as paid_back_at_first_order
    from {{ buyers }} as buyers
    left join tickets
        on tickets.customer_id = buyers.customer_id and tickets.created_at <= buyers.first_completed_order_at
    group by buyers.customer_id, buyers.first_completed_order_at, buyers.first_order_margin, buyers.acquisition_cost

),

-- the others: margin earned and support cost incurred, in the order they happened (a ticket before
-- an order of the same moment); each order with the buyer's acquisition cost, which its balance must cover
ledger as (

    select
        orders.customer_id, orders.ordered_at as happened_at, 1 as is_order, coalesce(orders.net_margin, 0) as amount,
        first_orders.acquisition_cost
    from {{ ref('int_orders_converted') }} as orders
    inner join first_orders on first_orders.customer_id = orders.customer_id
    where orders.is_completed and not first_orders.paid_back_at_first_order

    union all

    select
        tickets.customer_id, tickets.created_at as happened_at, 0 as is_order, -tickets.contact_cost as amount,
        null as acquisition_cost
    from tickets
    inner join first_orders on first_orders.customer_id = tickets.customer_id
    where not first_orders.paid_back_at_first_order

),

balances as (

    select
        customer_id,
        happened_at,
        is_order,
        acquisition_cost,
        sum(amount) over (
            partition by customer_id order by happened_at, is_order rows between unbounded preceding and current row
        ) as balance
    from ledger

),

paid_back as (

    select customer_id, first_completed_order_at as profitable_since
    from first_orders
    where paid_back_at_first_order

    union all

    select customer_id, min(happened_at) as profitable_since
    from balances
    where is_order = 1 and balance >= acquisition_cost
    group by customer_id

)

select
    buyers.customer_id,
    buyers.acquisition_cost,
    -- the tickets costed: what the next incremental build compares against
    {{ dbt.cast('coalesce(support.tickets, 0)', 'bigint') }} as tickets,
    paid_back.profitable_since,
    {%- set profitable_day = dbt.cast(to_reporting_time('paid_back.profitable_since'), 'date') %}
    12 * (extract(year from {{ profitable_day }}) - extract(year from buyers.cohort_month))
        + extract(month from {{ profitable_day }}) - extract(month from buyers.cohort_month) as months_to_profitability,
    -- when these costs were worked out: the watermark of the next incremental build
    {{ dbt.cast(dbt.current_timestamp(), "timestamp") }} as costed_at
from {{ buyers }} as buyers
left join paid_back on paid_back.customer_id = buyers.customer_id
left join {{ ref('int_customer_support_summaries') }} as support on support.customer_id = buyers.customer_id
