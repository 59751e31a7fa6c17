{#- Growth accounting's flows per month, on completed orders: a customer is active in a month with at
    least one completed order in it. Each active customer is new (the month of their first completed
    order, their cohort month), retained (active last month too) or resurrected (active before, not
    last month); churned are last month's actives not active this month. Revenue of the same flows:
    a retained customer's change against last month is expansion (up) or contraction (down).
    A month's flows need only that month's and the month before's activity (and each customer's cohort
    month), so each month is worked out from those two, with no pass over every customer's history.
    Incremental: a daily run works out again the months from the earliest month of an order converted
    since the last build (the month before it read for last month's activity); every month when an
    order was removed or moved away (a customer summarised again without an order of theirs
    converted, or another number of buyers than the flows counted new). Months left without flows
    are removed afterwards. -#}
{{ incremental_where_supported(
    'flow_month',
    "delete from {{ this }} where computed_at < (select max(computed_at) from {{ this }})
        and flow_month >= (
            select min(flow_month) from {{ this }} where computed_at = (select max(computed_at) from {{ this }})
        )"
) }}

{%- set incremental = is_incremental_with('computed_at') %}
{#- Before the earliest changed month; every month when nothing was converted. -#}
{%- set before_first_changed = "coalesce(changed_from.first_month, " ~ dbt.cast("'9999-12-01'", 'date') ~ ")" %}

with

{% if incremental -%}
converted_since as (

    select customer_id, order_month
    from {{ ref('int_orders_converted') }}
    where converted_at > {{ built_watermark('computed_at') }}

),

changed_from as (

    select min(order_month) as first_month from converted_since

),

recompute_from as (

    select
        case
            when exists (
                select 1
                from {{ ref('int_customer_order_summaries') }} as summaries
                where summaries.summarised_at > {{ built_watermark('computed_at') }}
                    and summaries.customer_id not in (select customer_id from converted_since)
            )
            or (
                select count(*)
                from {{ ref('int_customer_order_summaries') }} as summaries
                where summaries.completed_orders > 0
                    and summaries.cohort_month < {{ before_first_changed }}
            ) <> (
                select coalesce(sum(built.new_customers), 0)
                from {{ this }} as built
                where built.flow_month < {{ before_first_changed }}
            )
            then {{ dbt.cast("'1900-01-01'", 'date') }}
            else changed_from.first_month
        end as first_month
    from changed_from

),

{% endif -%}
customer_months as (

    select
        customer_id,
        order_month as activity_month,
        {{ dbt.cast(dbt.dateadd('month', 1, 'order_month'), 'date') }} as next_month,
        coalesce(sum(net_revenue), 0) as revenue
    from {{ ref('int_orders_converted') }}
    where is_completed
    {%- if incremental %}
        and order_month >= (select {{ dbt.dateadd('month', -1, 'first_month') }} from recompute_from)
    {%- endif %}
    group by customer_id, order_month

),

flows as (

    select
        coalesce(this_month.activity_month, last_month.next_month) as flow_month,
        case
            when this_month.customer_id is null then 'churned'
            when last_month.customer_id is not null then 'retained'
            when this_month.activity_month = summaries.cohort_month then 'new'
            else 'resurrected'
        end as flow,
        this_month.revenue,
        last_month.revenue as previous_revenue
    from customer_months as this_month
    full outer join customer_months as last_month
        on last_month.customer_id = this_month.customer_id and last_month.next_month = this_month.activity_month
    left join {{ ref('int_customer_order_summaries') }} as summaries on summaries.customer_id = this_month.customer_id

)

select
    flow_month,
    sum(case when flow <> 'churned' then 1 else 0 end) as active_customers,
    sum(case when flow = 'new' then 1 else 0 end) as new_customers,
    sum(case when flow = 'retained' then 1 else 0 end) as retained_customers,
    sum(case when flow = 'resurrected' then 1 else 0 end) as resurrected_customers,
    sum(case when flow = 'churned' then 1 else 0 end) as churned_customers,
    sum(case when flow <> 'churned' then revenue else 0 end) as revenue,
    sum(case when flow = 'new' then revenue else 0 end) as new_revenue,
    sum(case when flow = 'retained' then revenue else 0 end) as retained_revenue,
    sum(case when flow = 'resurrected' then revenue else 0 end) as resurrected_revenue,
    sum(case when flow = 'retained' and revenue > previous_revenue then revenue - previous_revenue else 0 end)
        as expansion_revenue,
    sum(case when flow = 'retained' and revenue < previous_revenue then previous_revenue - revenue else 0 end)
        as contraction_revenue,
    sum(case when flow = 'churned' then previous_revenue else 0 end) as churned_revenue,
    -- when these flows were worked out: the watermark of the next incremental build
    {{ dbt.cast(dbt.current_timestamp(), 'timestamp') }} as computed_at
from flows
{%- if incremental %}
where flow_month >= (select first_month from recompute_from)
{%- endif %}
group by flow_month
