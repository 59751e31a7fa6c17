with

cohorts as (

    select cohort_month, count(*) as cohort_size
    from {{ ref('int_customers_acquired') }}
    group by cohort_month

),

{#- Every month from the cohort's first to the as-of month, active or not. -#}
spine as (

    select
        cohorts.cohort_month,
        cohorts.cohort_size,
        offsets.month_offset as months_since_first_order
    from cohorts
    cross join {{ ref('int_as_of_dates') }} as as_of
    inner join {{ ref('int_month_offsets') }} as offsets
        on offsets.month_offset <= {{ dbt.datediff('cohorts.cohort_month', month_start('as_of.as_of_date'), 'month') }}

),

activity as (

    select
        acquired.cohort_month,
        {{ dbt.datediff('acquired.cohort_month', 'orders.order_month', 'month') }}
            as months_since_first_order,
        count(distinct orders.customer_id) as active_customers,
        count(*) as orders,
        sum(orders.net_revenue) as net_revenue,
        sum(orders.net_margin) as net_margin
    from {{ ref('int_orders_converted') }} as orders
    inner join {{ ref('int_customers_acquired') }} as acquired
        on acquired.customer_id = orders.customer_id
    where orders.is_completed
    group by 1, 2

),

curves as (

    select
        spine.cohort_month,
        spine.months_since_first_order,
        spine.cohort_size,
        coalesce(activity.active_customers, 0) as active_customers,
        coalesce(activity.orders, 0) as orders,
        coalesce(activity.net_revenue, 0) as net_revenue,
        coalesce(activity.net_margin, 0) as net_margin,
        sum(coalesce(activity.net_revenue, 0)) over (
            partition by spine.cohort_month order by spine.months_since_first_order
            rows between unbounded preceding and current row
        ) as cumulative_net_revenue,
        sum(coalesce(activity.net_margin, 0)) over (
            partition by spine.cohort_month order by spine.months_since_first_order
            rows between unbounded preceding and current row
        ) as cumulative_net_margin
    from spine
    left join activity
        on activity.cohort_month = spine.cohort_month
        and activity.months_since_first_order = spine.months_since_first_order

)

select
    {{ dbt.cast('cohort_month', 'date') }} as cohort_month,
    {{ dbt.cast('months_since_first_order', 'integer') }} as months_since_first_order,
    {{ dbt.cast(dbt.dateadd('month', 'months_since_first_order', 'cohort_month'), 'date') }} as activity_month,
    {{ dbt.cast('cohort_size', 'bigint') }} as cohort_size,
    {{ dbt.cast('active_customers', 'bigint') }} as active_customers,
    {{ dbt.cast(round_half_up('1.0 * active_customers / cohort_size', 4), 'double') }} as retention_rate,
    {{ dbt.cast('orders', 'bigint') }} as orders,
    {{ to_money('net_revenue') }} as net_revenue,
    {{ to_money('net_margin') }} as net_margin,
    {{ to_money('cumulative_net_revenue / cohort_size') }} as cumulative_net_revenue_per_customer,
    {{ to_money('cumulative_net_margin / cohort_size') }} as cumulative_net_margin_per_customer
from curves
