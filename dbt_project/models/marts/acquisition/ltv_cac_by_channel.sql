{#- LTV:CAC per paid channel over every cohort old enough to tell (12 full months): the cohorts'
    12-month margin over their spend. Pooled, so a channel's large cohorts weigh more than its small ones. -#}
with

mature_cohorts as (

    select
        acquisition_channel,
        new_customers,
        marketing_spend,
        margin_per_customer_12m * new_customers as margin_12m,
        cac_payback_months
    from {{ ref('ltv_cac') }}
    where margin_per_customer_12m is not null

),

pooled as (

    select
        acquisition_channel,
        count(*) as cohorts,
        sum(new_customers) as new_customers,
        sum(marketing_spend) as marketing_spend,
        sum(margin_12m) as margin_12m,
        sum(margin_12m) / nullif(sum(marketing_spend), 0) as ltv_cac_ratio_12m,
        count(cac_payback_months) as cohorts_paid_back,
        {{ percentile('cac_payback_months', 0.5) }} as median_cac_payback_months
    from mature_cohorts
    group by 1

)

select
    {{ dbt.cast('acquisition_channel', dbt.type_string()) }} as acquisition_channel,
    {{ dbt.cast('cohorts', 'bigint') }} as cohorts,
    {{ dbt.cast('new_customers', 'bigint') }} as new_customers,
    {{ to_money('marketing_spend') }} as marketing_spend,
    {{ to_money('margin_12m') }} as margin_12m,
    {{ dbt.cast(round_half_up('ltv_cac_ratio_12m', 2), 'double') }} as ltv_cac_ratio_12m,
    {{ is_healthy_ltv_cac('ltv_cac_ratio_12m') }} as is_healthy,
    {{ healthy_ltv_cac_ratio() }} as healthy_ltv_cac_ratio,
    {{ dbt.cast('cohorts_paid_back', 'bigint') }} as cohorts_paid_back,
    {{ dbt.cast(round_half_up('median_cac_payback_months', 1), 'double') }} as median_cac_payback_months
from pooled
