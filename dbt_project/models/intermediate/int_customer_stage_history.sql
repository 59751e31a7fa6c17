{#- Each person's lifecycle stage at the end of every month in which it may have changed, as the
    customers mart's rule (`lifecycle_stage`) judges it that day; between two such months it stays
    what it was. A stage can change only on a day something happens: the person is first seen, buys,
    answers an NPS survey, or crosses a threshold since the first or the latest purchase (new ends,
    at risk, churned). So the state is worked out on those days alone, not on every month for
    everyone, and kept for the last of them in each month. The as-of month ends on the as-of date. -#}
{%- set frame = 'partition by customer_id order by event_day range between unbounded preceding and current row' %}

with

as_of as (

    select as_of_date from {{ ref('int_as_of_dates') }}

),

purchase_days as (

    select
        customer_id,
        order_date as event_day,
        {{ days_between('lag(order_date) over (partition by customer_id order by order_date)', 'order_date') }} as gap_days,
        lead(order_date) over (partition by customer_id order by order_date) as next_purchase_day
    from (select distinct customer_id, order_date from {{ ref('int_orders_converted') }} where is_completed) as completed_days

),

first_purchases as (

    select customer_id, min(event_day) as first_purchase_day
    from purchase_days
    group by customer_id

),

nps_days as (

    select customer_id, event_day, score
    from (
        select
            customer_id,
            {{ dbt.cast(to_reporting_time('responded_at'), 'date') }} as event_day,
            score,
            row_number() over (
                partition by customer_id, {{ dbt.cast(to_reporting_time('responded_at'), 'date') }}
                order by responded_at desc, response_id desc
            ) as latest_of_the_day
        from {{ ref('stg_surveys__responses') }}
        where survey_type = 'nps'
    ) as answers
    where latest_of_the_day = 1

),

-- the days a stage may change, with what happened on them
events as (

    select customer_id, {{ dbt.cast(to_reporting_time('first_seen_at'), 'date') }} as event_day,
        {{ dbt.cast('null', 'date') }} as purchase_day, {{ dbt.cast('null', 'integer') }} as gap_days,
        {{ dbt.cast('null', 'integer') }} as nps_score
    from {{ ref('int_customers_known') }}

    union all

    select customer_id, event_day, event_day as purchase_day, gap_days, null as nps_score
    from purchase_days

    union all

    select customer_id, event_day, null as purchase_day, null as gap_days, score as nps_score
    from nps_days

    {% for threshold in ('at_risk_days', 'churn_days') %}
    union all

    -- the first day idle longer than the threshold, unless a purchase came first
    select
        customer_id, {{ dbt.cast(dbt.dateadd('day', var(threshold) + 1, 'event_day'), 'date') }} as event_day,
        null as purchase_day, null as gap_days, null as nps_score
    from purchase_days
    where next_purchase_day is null
        or next_purchase_day > {{ dbt.cast(dbt.dateadd('day', var(threshold) + 1, 'event_day'), 'date') }}
    {% endfor %}

    union all

    -- the first day no longer new
    select
        customer_id, {{ dbt.cast(dbt.dateadd('day', var('new_customer_days') + 1, 'first_purchase_day'), 'date') }} as event_day,
        null as purchase_day, null as gap_days, null as nps_score
    from first_purchases

),

states as (

    select
        events.customer_id,
        events.event_day,
        max(events.purchase_day) over ({{ frame }}) as last_purchase_day,
        {{ last_non_null('events.gap_days', frame) }} as last_gap_days,
        {{ last_non_null('events.nps_score', frame) }} as latest_nps_score
    from events
    cross join as_of
    where events.event_day <= as_of.as_of_date

),

staged as (

    select distinct
        states.customer_id,
        states.event_day,
        {{ dbt.cast(dbt.date_trunc('month', 'states.event_day'), 'date') }} as stage_month,
        {{ lifecycle_stage(
            'case when first_purchases.first_purchase_day <= states.event_day then 1 else 0 end',
            days_between('states.last_purchase_day', 'states.event_day'),
            days_between('first_purchases.first_purchase_day', 'states.event_day'),
            'states.last_gap_days',
            'states.latest_nps_score'
        ) }} as lifecycle_stage
    from states
    left join first_purchases on first_purchases.customer_id = states.customer_id

),

month_ends as (

    select customer_id, stage_month, lifecycle_stage
    from (
        select
            *,
            row_number() over (partition by customer_id, stage_month order by event_day desc) as latest_of_the_month
        from staged
    ) as days
    where latest_of_the_month = 1

)

select
    customer_id,
    stage_month,
    lifecycle_stage,
    lag(lifecycle_stage) over (partition by customer_id order by stage_month) as previous_stage,
    lead(stage_month) over (partition by customer_id order by stage_month) as next_stage_month
from month_ends
