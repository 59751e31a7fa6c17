{#- Acquisition economics per paid channel and cohort month; rows exist where spend was delivered,
    so the mart is empty when no marketing spend is given.
    CAC = spend / new customers (`int_acquisition_costs`). Margin per customer at N months = net margin
    of the cohort's customers in their first N months (months 0..N-1), per new customer; null until the
    cohort has had N full months before the as-of month. LTV:CAC (12m) = margin per customer at 12
    months / CAC; healthy at `healthy_ltv_cac_ratio` or more. CAC payback = the months from the cohort
    month (counted from 1) until the cohort's cumulative margin per customer first reaches CAC; null
    while it has not. -#}
with

monthly_margin as (

    select
        acquired.cohort_month,
        acquired.acquisition_channel,
        {{ dbt.datediff('acquired.cohort_month', 'orders.order_month', 'month') }}
            as months_since_first_order,
        sum(orders.net_margin) as net_margin
    from {{ ref('int_orders_converted') }} as orders
    inner join {{ ref('int_customers_acquired') }} as acquired on acquired.customer_id = orders.customer_id
    group by 1, 2, 3

),

early_margin as (

    select
        cohort_month,
        acquisition_channel,
        sum(case when months_since_first_order < 3 then net_margin else 0 end) as margin_3m,
        sum(case when months_since_first_order < 6 then net_margin else 0 end) as margin_6m,
        sum(case when months_since_first_order < 12 then net_margin else 0 end) as margin_12m
    from monthly_margin
    group by 1, 2

),

cumulative_margin as (

    select
        cohort_month,
        acquisition_channel,
        months_since_first_order,
        sum(net_margin) over (
            partition by cohort_month, acquisition_channel order by months_since_first_order
            rows between unbounded preceding and current row
        ) as margin_to_date
    from monthly_margin

),

joined as (

    select
        costs.cohort_month,
        costs.acquisition_channel,
        costs.marketing_spend,
        costs.spend_days_without_fx_rate,
        costs.new_customers,
        costs.cac,
        early_margin.margin_3m,
        early_margin.margin_6m,
        early_margin.margin_12m,
        {{ dbt.datediff('costs.cohort_month', month_start('as_of.as_of_date'), 'month') }}
            as months_observed
    from {{ ref('int_acquisition_costs') }} as costs
    cross join {{ ref('int_as_of_dates') }} as as_of
    left join early_margin
        on early_margin.cohort_month = costs.cohort_month
        and early_margin.acquisition_channel = costs.acquisition_channel

),

paid_back as (

    -- the first month whose cumulative margin covers the cohort's spend (margin per customer >= CAC)
    select
        joined.cohort_month,
        joined.acquisition_channel,
        min(cumulative_margin.months_since_first_order) + 1 as payback_months
    from joined
    inner join cumulative_margin
        on cumulative_margin.cohort_month = joined.cohort_month
        and cumulative_margin.acquisition_channel = joined.acquisition_channel
    where joined.new_customers > 0 and cumulative_margin.margin_to_date >= joined.marketing_spend
    group by 1, 2

),

per_customer as (

    select
        joined.*,
        paid_back.payback_months,
        case when joined.months_observed >= 3 then coalesce(joined.margin_3m, 0) / nullif(joined.new_customers, 0) end
            as margin_per_customer_3m,
        case when joined.months_observed >= 6 then coalesce(joined.margin_6m, 0) / nullif(joined.new_customers, 0) end
            as margin_per_customer_6m,
        case when joined.months_observed >= 12 then coalesce(joined.margin_12m, 0) / nullif(joined.new_customers, 0) end
            as margin_per_customer_12m
    from joined
    left join paid_back
        on paid_back.cohort_month = joined.cohort_month and paid_back.acquisition_channel = joined.acquisition_channel

)

select
    {{ dbt.cast('acquisition_channel', dbt.type_string()) }} as acquisition_channel,
    {{ dbt.cast('cohort_month', 'date') }} as cohort_month,
    {{ dbt.cast('new_customers', 'bigint') }} as new_customers,
    {{ to_money('marketing_spend') }} as marketing_spend,
    {{ dbt.cast('spend_days_without_fx_rate', 'bigint') }} as spend_days_without_fx_rate,
    {{ to_money('cac') }} as cac,
    {{ to_money('margin_per_customer_3m') }} as margin_per_customer_3m,
    {{ to_money('margin_per_customer_6m') }} as margin_per_customer_6m,
    {{ to_money('margin_per_customer_12m') }} as margin_per_customer_12m,
    {{ dbt.cast(round_half_up('margin_per_customer_12m / nullif(cac, 0)', 2), 'double') }} as ltv_cac_ratio_12m,
    {{ is_healthy_ltv_cac('margin_per_customer_12m / nullif(cac, 0)') }} as is_healthy,
    {{ healthy_ltv_cac_ratio() }} as healthy_ltv_cac_ratio,
    {{ dbt.cast('payback_months', 'integer') }} as cac_payback_months
from per_customer
