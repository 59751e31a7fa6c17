{#- Growth accounting per month, on completed orders: a customer is active in a month with at least
    one completed order in it. Each active customer is new (first completed order), retained (active
    last month too) or resurrected (active before, not last month); churned are last month's actives
    not active this month. The revenue of the same flows: retained customers' change against last
    month is expansion (up) or contraction (down). -#}
with

customer_months as (

    select
        customer_id,
        order_month as activity_month,
        coalesce(sum(net_revenue), 0) as revenue
    from {{ ref('int_orders_converted') }}
    where is_completed
    group by customer_id, order_month

),

sequenced as (

    select
        customer_id,
        activity_month,
        revenue,
        lag(activity_month) over customer_history as previous_active_month,
        lag(revenue) over customer_history as previous_revenue,
        lead(activity_month) over customer_history as next_active_month
    from customer_months
    window customer_history as (partition by customer_id order by activity_month)

),

active as (

    select
        activity_month as flow_month,
        case
            when previous_active_month is null then 'new'
            when previous_active_month = {{ dbt.cast(dbt.dateadd('month', -1, 'activity_month'), 'date') }} then 'retained'
            else 'resurrected'
        end as flow,
        revenue,
        previous_revenue
    from sequenced

),

-- last month's actives who are not active this month, with the revenue they brought last month
churned as (

    select
        {{ dbt.cast(dbt.dateadd('month', 1, 'activity_month'), 'date') }} as flow_month,
        revenue as churned_revenue
    from sequenced
    where next_active_month is null or next_active_month > {{ dbt.cast(dbt.dateadd('month', 1, 'activity_month'), 'date') }}

),

months as (

    select {{ dbt.cast(dbt.dateadd('month', 'offsets.month_offset', 'first_month.first_month'), 'date') }} as flow_month
    from (select min(activity_month) as first_month from customer_months) as first_month
    cross join {{ ref('int_as_of_dates') }} as as_of
    inner join {{ ref('int_month_offsets') }} as offsets
        on offsets.month_offset <= {{ dbt.datediff('first_month.first_month', month_start('as_of.as_of_date'), 'month') }}

),

active_totals as (

    select
        flow_month,
        count(*) as active_customers,
        sum(case when flow = 'new' then 1 else 0 end) as new_customers,
        sum(case when flow = 'retained' then 1 else 0 end) as retained_customers,
        sum(case when flow = 'resurrected' then 1 else 0 end) as resurrected_customers,
        sum(revenue) as revenue,
        sum(case when flow = 'new' then revenue else 0 end) as new_revenue,
        sum(case when flow = 'retained' then revenue else 0 end) as retained_revenue,
        sum(case when flow = 'resurrected' then revenue else 0 end) as resurrected_revenue,
        sum(case when flow = 'retained' and revenue > previous_revenue then revenue - previous_revenue else 0 end)
            as expansion_revenue,
        sum(case when flow = 'retained' and revenue < previous_revenue then previous_revenue - revenue else 0 end)
            as contraction_revenue
    from active
    group by flow_month

),

churned_totals as (

    select flow_month, count(*) as churned_customers, sum(churned_revenue) as churned_revenue
    from churned
    group by flow_month

),

flows as (

    select
        months.flow_month,
        coalesce(active_totals.active_customers, 0) as active_customers,
        coalesce(active_totals.new_customers, 0) as new_customers,
        coalesce(active_totals.retained_customers, 0) as retained_customers,
        coalesce(active_totals.resurrected_customers, 0) as resurrected_customers,
        coalesce(churned_totals.churned_customers, 0) as churned_customers,
        coalesce(active_totals.revenue, 0) as revenue,
        coalesce(active_totals.new_revenue, 0) as new_revenue,
        coalesce(active_totals.retained_revenue, 0) as retained_revenue,
        coalesce(active_totals.resurrected_revenue, 0) as resurrected_revenue,
        coalesce(active_totals.expansion_revenue, 0) as expansion_revenue,
        coalesce(active_totals.contraction_revenue, 0) as contraction_revenue,
        coalesce(churned_totals.churned_revenue, 0) as churned_revenue
    from months
    left join active_totals on active_totals.flow_month = months.flow_month
    left join churned_totals on churned_totals.flow_month = months.flow_month

),

with_last_month as (

    select
        *,
        coalesce(lag(active_customers) over (order by flow_month), 0) as active_customers_last_month,
        coalesce(lag(revenue) over (order by flow_month), 0) as revenue_last_month
    from flows

)

select
    {{ dbt.cast('flow_month', 'date') }} as flow_month,
    {{ dbt.cast('active_customers', 'bigint') }} as active_customers,
    {{ dbt.cast('new_customers', 'bigint') }} as new_customers,
    {{ dbt.cast('retained_customers', 'bigint') }} as retained_customers,
    {{ dbt.cast('resurrected_customers', 'bigint') }} as resurrected_customers,
    {{ dbt.cast('churned_customers', 'bigint') }} as churned_customers,
    {{ dbt.cast('active_customers_last_month', 'bigint') }} as active_customers_last_month,
    {{ dbt.cast(round_half_up('1.0 * (new_customers + resurrected_customers) / nullif(churned_customers, 0)', 4), 'double') }}
        as quick_ratio,
    {{ dbt.cast(round_half_up('1.0 * retained_customers / nullif(active_customers_last_month, 0)', 4), 'double') }}
        as customer_retention_rate,
    {{ to_money('revenue') }} as revenue,
    {{ to_money('revenue_last_month') }} as revenue_last_month,
    {{ to_money('new_revenue') }} as new_revenue,
    {{ to_money('retained_revenue') }} as retained_revenue,
    {{ to_money('resurrected_revenue') }} as resurrected_revenue,
    {{ to_money('expansion_revenue') }} as expansion_revenue,
    {{ to_money('contraction_revenue') }} as contraction_revenue,
    {{ to_money('churned_revenue') }} as churned_revenue,
    {{ dbt.cast(round_half_up('(revenue_last_month - churned_revenue - contraction_revenue) / nullif(revenue_last_month, 0)', 4), 'double') }}
        as gross_revenue_retention,
    {{ dbt.cast(round_half_up('retained_revenue / nullif(revenue_last_month, 0)', 4), 'double') }}
        as net_revenue_retention
from with_last_month
