{#- second_order_nudge: first-time buyers (one completed order) for whom more days have passed since it
    than their cohort's median days to a second order (`cohort_repeat_purchase`; every buyer's median
    while their cohort has no repeat buyer yet), at most `audience_onboarding_days` days after it. Value at
    stake: the predicted 12-month CLV. -#}
with

all_buyers as (

    select {{ percentile('median_days_to_second_order', 0.5) }} as median_days_to_second_order
    from (
        select
            {{ days_between(
                dbt.cast(to_reporting_time('first_completed_order_at'), 'date'),
                dbt.cast(to_reporting_time('second_completed_order_at'), 'date')
            ) }} as median_days_to_second_order
        from {{ ref('customers') }}
        where second_completed_order_at is not null
    ) as repeat_buyers

),

first_time_buyers as (

    select
        customers.customer_id,
        customers.cohort_month,
        customers.predicted_clv_12m,
        {{ days_between(
            dbt.cast(to_reporting_time('customers.first_completed_order_at'), 'date'), 'customers.as_of_date'
        ) }} as days_since_first_order,
        coalesce(
            cohorts.median_days_to_second_order, all_buyers.median_days_to_second_order
        ) as usual_days_to_second_order
    from {{ ref('customers') }} as customers
    left join {{ ref('cohort_repeat_purchase') }} as cohorts on cohorts.cohort_month = customers.cohort_month
    cross join all_buyers
    where customers.completed_orders = 1

)

select
    customer_id,
    'second_order_nudge' as audience,
    'one order, ' || {{ figure_text('days_since_first_order') }} || ' days ago; the '
    || substring({{ dbt.cast('cohort_month', dbt.type_string()) }}, 1, 7) || ' cohort orders again after '
    || {{ figure_text('usual_days_to_second_order') }} || ' days' as reason,
    {{ to_money('coalesce(predicted_clv_12m, 0)') }} as value_at_stake
from first_time_buyers
where days_since_first_order > usual_days_to_second_order
    and days_since_first_order <= {{ var('audience_onboarding_days') }}
