{#- Today's members of every lifecycle audience (macro `lifecycle_audiences`; one row per customer and
    audience they are in), each audience's rule in its own model, with the customer's figures the rules read and a priority within
    the audience: 1 for the largest value at stake. -#}
with

members as (

    {%- for audience in lifecycle_audiences() %}
    select customer_id, audience, reason, value_at_stake from {{ ref('int_audience_' ~ audience.name) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select
    members.audience,
    members.customer_id,
    members.reason,
    members.value_at_stake,
    row_number() over (
        partition by members.audience order by members.value_at_stake desc, members.customer_id asc
    ) as priority,
    customers.as_of_date,
    customers.lifecycle_stage,
    customers.value_tier,
    customers.customer_value,
    customers.cost_to_serve,
    customers.acquisition_cost,
    customers.predicted_clv_12m,
    customers.p_alive,
    customers.completed_orders,
    customers.days_since_last_order,
    customers.latest_nps_score,
    customers.open_tickets
from members
inner join {{ ref('customers') }} as customers on customers.customer_id = members.customer_id
