{#- The headline of the marts in one row, as of the as-of date: what `make run` prints and a BI
    dashboard's first tiles show. Each figure reads the mart that defines it. -#}
with

as_of as (

    select as_of_date from {{ ref('int_as_of_dates') }}

),

customer_counts as (

    select
        count(*) as people,
        count(first_order_at) as customers,
        sum(case when is_buyer then 1 else 0 end) as buyers,
        {{ percentile('case when completed_orders > 0 then historical_clv_margin end', 0.5) }}
            as median_historical_clv_margin,
        {{ percentile('case when completed_orders > 0 then historical_clv_revenue end', 0.5) }}
            as median_historical_clv_revenue,
        {{ percentile('case when completed_orders > 0 then predicted_clv_12m end', 0.5) }} as median_predicted_clv_12m
    from {{ ref('customers') }}

),

{%- for window, after, up_to in [('nps_12m', -12, 0), ('nps_prior_12m', -24, -12)] %}
{{ window }} as (

    select
        sum(nps.promoters) as promoters,
        sum(nps.detractors) as detractors,
        sum(nps.nps_responses) as nps_responses
    from {{ ref('nps_monthly') }} as nps
    cross join as_of
    where nps.response_month > {{ dbt.dateadd('month', after, 'as_of.as_of_date') }}
      {%- if up_to %}
      and nps.response_month <= {{ dbt.dateadd('month', up_to, 'as_of.as_of_date') }}
      {%- endif %}

),
{% endfor %}

-- the newest cohort whose month 12 has ended before the as-of month
latest_complete_cohort as (

    select max(retention.cohort_month) as cohort_month
    from {{ ref('cohort_retention') }} as retention
    cross join as_of
    where retention.months_since_first_order = 12
      and retention.activity_month < {{ month_start('as_of.as_of_date') }}

),

retention_12m as (

    select retention.cohort_month, retention.retention_rate
    from {{ ref('cohort_retention') }} as retention
    inner join latest_complete_cohort on latest_complete_cohort.cohort_month = retention.cohort_month
    where retention.months_since_first_order = 12

),

-- the last whole month before the as-of month
last_month_flows as (

    select flows.flow_month, flows.quick_ratio, flows.customer_retention_rate
    from {{ ref('growth_accounting_monthly') }} as flows
    cross join as_of
    where flows.flow_month = {{ dbt.cast(dbt.dateadd('month', -1, month_start('as_of.as_of_date')), 'date') }}

),

-- the newest cohort old enough to tell its 90-day repeat rate
repeat_90d as (

    select repeats.cohort_month, repeats.repeat_rate_90d
    from {{ ref('cohort_repeat_purchase') }} as repeats
    where repeats.cohort_month = (
        select max(known.cohort_month)
        from {{ ref('cohort_repeat_purchase') }} as known
        where known.repeat_rate_90d is not null
    )

),

below_zero as (

    select
        count(*) as customers,
        sum(cost_to_serve + coalesce(acquisition_cost, 0)) as cost
    from {{ ref('customers') }}
    where value_tier = 'below zero'

)

select
    {{ dbt.cast('as_of.as_of_date', 'date') }} as as_of_date,
    {{ dbt.cast('customer_counts.people', 'bigint') }} as people,
    {{ dbt.cast('customer_counts.customers', 'bigint') }} as customers,
    {{ dbt.cast('customer_counts.buyers', 'bigint') }} as buyers,
    {{ dbt.cast('customer_counts.people - customer_counts.buyers', 'bigint') }} as prospects,
    {{ dbt.cast('coalesce(nps_12m.nps_responses, 0)', 'bigint') }} as nps_responses_12m,
    {{ dbt.cast(round_half_up(
        '100.0 * (nps_12m.promoters - nps_12m.detractors) / nullif(nps_12m.nps_responses, 0)', 2
    ), 'double') }} as nps_12m,
    {{ to_money('customer_counts.median_historical_clv_margin') }} as median_historical_clv_margin,
    {{ to_money('customer_counts.median_historical_clv_revenue') }} as median_historical_clv_revenue,
    {{ to_money('customer_counts.median_predicted_clv_12m') }} as median_predicted_clv_12m,
    {{ dbt.cast('coalesce(nps_prior_12m.nps_responses, 0)', 'bigint') }} as nps_responses_prior_12m,
    {{ dbt.cast(round_half_up(
        '100.0 * (nps_prior_12m.promoters - nps_prior_12m.detractors) / nullif(nps_prior_12m.nps_responses, 0)', 2
    ), 'double') }} as nps_prior_12m,
    {{ dbt.cast('retention_12m.cohort_month', 'date') }} as retention_12m_cohort_month,
    {{ dbt.cast('retention_12m.retention_rate', 'double') }} as retention_12m,
    {{ dbt.cast('last_month_flows.flow_month', 'date') }} as last_month,
    {{ dbt.cast('last_month_flows.quick_ratio', 'double') }} as quick_ratio_last_month,
    {{ dbt.cast('last_month_flows.customer_retention_rate', 'double') }} as customer_retention_last_month,
    {{ dbt.cast('repeat_90d.cohort_month', 'date') }} as repeat_90d_cohort_month,
    {{ dbt.cast('repeat_90d.repeat_rate_90d', 'double') }} as repeat_rate_90d,
    {{ dbt.cast('below_zero.customers', 'bigint') }} as below_zero_customers,
    {{ dbt.cast(round_half_up('1.0 * below_zero.customers / nullif(customer_counts.buyers, 0)', 4), 'double') }}
        as below_zero_share_of_buyers,
    {{ to_money('coalesce(below_zero.cost, 0)') }} as below_zero_cost
from as_of
cross join customer_counts
cross join nps_12m
cross join nps_prior_12m
cross join below_zero
left join retention_12m on 1 = 1
left join last_month_flows on 1 = 1
left join repeat_90d on 1 = 1
