{#- Growth accounting per month, on completed orders: every month from the first active one to the
    as-of month, with the flows of `int_growth_flows_monthly` (new, retained, resurrected, churned,
    and their revenue; none in a month without orders), last month's actives and revenue, and the
    ratios: quick ratio, customer retention, gross and net revenue retention. -#}
with

months as (

    select {{ dbt.cast(dbt.dateadd('month', 'offsets.month_offset', 'first_month.first_month'), 'date') }} as flow_month
    from (select min(flow_month) as first_month from {{ ref('int_growth_flows_monthly') }}) as first_month
    cross join {{ ref('int_as_of_dates') }} as as_of
    inner join {{ ref('int_month_offsets') }} as offsets
        on offsets.month_offset
            <= {{ dbt.datediff('first_month.first_month', month_start('as_of.as_of_date'), 'month') }}

),

flows as (

    select
        months.flow_month,
        coalesce(totals.active_customers, 0) as active_customers,
        coalesce(totals.new_customers, 0) as new_customers,
        coalesce(totals.retained_customers, 0) as retained_customers,
        coalesce(totals.resurrected_customers, 0) as resurrected_customers,
        coalesce(totals.churned_customers, 0) as churned_customers,
        coalesce(totals.revenue, 0) as revenue,
        coalesce(totals.new_revenue, 0) as new_revenue,
        coalesce(totals.retained_revenue, 0) as retained_revenue,
        coalesce(totals.resurrected_revenue, 0) as resurrected_revenue,
        coalesce(totals.expansion_revenue, 0) as expansion_revenue,
        coalesce(totals.contraction_revenue, 0) as contraction_revenue,
        coalesce(totals.churned_revenue, 0) as churned_revenue
    from months
    left join {{ ref('int_growth_flows_monthly') }} as totals on totals.flow_month = months.flow_month

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
    {{ dbt.cast(round_half_up(
        '1.0 * (new_customers + resurrected_customers) / nullif(churned_customers, 0)', 4
    ), 'double') }}
        as quick_ratio,
    {{ dbt.cast(round_half_up('1.0 * retained_customers / nullif(active_customers_last_month, 0)', 4), 'double') }}
        as customer_retention_rate,
    {{ dbt.cast(round_half_up('1.0 * churned_customers / nullif(active_customers_last_month, 0)', 4), 'double') }}
        as customer_churn_rate,
    {{ to_money('revenue') }} as revenue,
    {{ to_money('revenue_last_month') }} as revenue_last_month,
    {{ to_money('new_revenue') }} as new_revenue,
    {{ to_money('retained_revenue') }} as retained_revenue,
    {{ to_money('resurrected_revenue') }} as resurrected_revenue,
    {{ to_money('expansion_revenue') }} as expansion_revenue,
    {{ to_money('contraction_revenue') }} as contraction_revenue,
    {{ to_money('churned_revenue') }} as churned_revenue,
    {{ dbt.cast(round_half_up(
        '(revenue_last_month - churned_revenue - contraction_revenue) / nullif(revenue_last_month, 0)', 4
    ), 'double') }}
        as gross_revenue_retention,
    {{ dbt.cast(round_half_up('retained_revenue / nullif(revenue_last_month, 0)', 4), 'double') }}
        as net_revenue_retention
from with_last_month
