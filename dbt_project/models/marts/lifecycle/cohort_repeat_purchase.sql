{#- Per cohort (month of the first completed order): how many first-time buyers came back, and how
    soon. A rate within N days is given only once every member of the cohort has had N days since
    their first completed order (the as-of date at least N days after the cohort month's last day);
    before that it is null, as too young to tell. -#}
with

buyers as (

    select
        cohort_month,
        {{ days_between(
            dbt.cast(to_reporting_time('first_completed_order_at'), 'date'),
            dbt.cast(to_reporting_time('second_completed_order_at'), 'date')
        ) }} as days_to_second_order
    from {{ ref('int_customer_order_summaries') }}
    where first_completed_order_at is not null

),

cohorts as (

    select
        buyers.cohort_month,
        count(*) as cohort_size,
        {%- for days in (30, 90, 180, 365) %}
        sum(case when buyers.days_to_second_order <= {{ days }} then 1 else 0 end) as repeaters_{{ days }}d,
        {%- endfor %}
        count(buyers.days_to_second_order) as repeaters,
        {{ percentile('buyers.days_to_second_order', 0.5) }} as median_days_to_second_order,
        {{ days_between(
            dbt.cast(dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'buyers.cohort_month')), 'date'), 'as_of.as_of_date'
        ) }} as days_observed
    from buyers
    cross join {{ ref('int_as_of_dates') }} as as_of
    group by buyers.cohort_month, as_of.as_of_date

)

select
    {{ dbt.cast('cohort_month', 'date') }} as cohort_month,
    {{ dbt.cast('cohort_size', 'bigint') }} as cohort_size,
    {{ dbt.cast('repeaters', 'bigint') }} as repeaters,
    {%- for days in (30, 90, 180, 365) %}
    {%- set repeaters = dbt.cast('repeaters_' ~ days ~ 'd', 'double') %}
    {{ dbt.cast(round_half_up(
        'case when days_observed >= ' ~ days ~ ' then ' ~ repeaters ~ ' / cohort_size end', 4
    ), 'double') }}
        as repeat_rate_{{ days }}d,
    {%- endfor %}
    {{ dbt.cast(round_half_up('median_days_to_second_order', 1), 'double') }} as median_days_to_second_order,
    {{ dbt.cast(round_half_up(
        'case when days_observed >= 90 then 1 - 1.0 * repeaters_90d / cohort_size end', 4
    ), 'double') }}
        as onboarding_churn_rate
from cohorts
