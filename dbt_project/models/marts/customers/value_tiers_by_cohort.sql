{#- Who is worth the most, per cohort: each value tier's buyers and their share of the cohort, and the
    tier's value and share of the cohort's value (net of the below-zero customers, whose value is
    negative: the shares of the other tiers can add up to more than 1). -#}
with

tiers as (

    select
        cohort_month,
        value_tier,
        count(*) as customers,
        sum(customer_value) as customer_value,
        sum(cost_to_serve) as cost_to_serve,
        sum(coalesce(acquisition_cost, 0)) as acquisition_cost
    from {{ ref('customers') }}
    where is_buyer
    group by cohort_month, value_tier

)

select
    {{ dbt.cast('cohort_month', 'date') }} as cohort_month,
    {{ dbt.cast('value_tier', dbt.type_string()) }} as value_tier,
    {{ dbt.cast('customers', 'bigint') }} as customers,
    {{ dbt.cast(round_half_up('1.0 * customers / sum(customers) over (partition by cohort_month)', 4), 'double') }}
        as share_of_customers,
    {{ dbt.cast('customer_value', 'decimal(18, 2)') }} as customer_value,
    {%- set share_of_cohort = 'customer_value / nullif(sum(customer_value) over (partition by cohort_month), 0)' %}
    {{ dbt.cast(round_half_up(share_of_cohort, 4), 'double') }}
        as share_of_value,
    {{ dbt.cast('cost_to_serve', 'decimal(18, 2)') }} as cost_to_serve,
    {{ dbt.cast('acquisition_cost', 'decimal(18, 2)') }} as acquisition_cost
from tiers
