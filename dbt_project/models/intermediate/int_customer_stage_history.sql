{#- Each person's lifecycle stage at the end of every month in which it may have changed, as the
    customers mart's rule (`lifecycle_stage`) judges it that day; between two such months it stays
    what it was. A stage can change only on a day something happens: the person is first seen, buys,
    answers an NPS survey, or crosses a threshold since the first or the latest purchase (new ends,
    at risk, churned). So the stage is judged only at the last such day of each month, never for every
    person and month. The latest purchase (with the gap before it) and the latest NPS answer as of each
    judgement are carried forward as running maxima of one number each (the day, then the gap or the
    score in the low digits): a running max streams where a range join or a running last-value holds
    every person's events at once. The as-of month ends on the as-of date. -#}
with

as_of as (

    select as_of_date from {{ ref('int_as_of_dates') }}

),

-- each purchase day, the gap before it and the next one
purchase_days as (

    select
        customer_id,
        order_date as purchase_day,
        {{ days_between('lag(order_date) over (partition by customer_id order by order_date)', 'order_date') }} as gap_days,
        lead(order_date) over (partition by customer_id order by order_date) as next_purchase_day
    from (select distinct customer_id, order_date from {{ ref('int_orders_converted') }} where is_completed) as completed_days

),

first_purchases as (

    select customer_id, min(purchase_day) as first_purchase_day
    from purchase_days
    group by customer_id

),

-- each day's latest NPS answer
nps_days as (

    select customer_id, answer_day, score
    from (
        select
            customer_id,
            {{ dbt.cast(to_reporting_time('responded_at'), 'date') }} as answer_day,
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

-- the days a stage may change, each with what happened on it (the purchase and its gap, the NPS answer)
change_days as (

    select
        customer_id, {{ dbt.cast(to_reporting_time('first_seen_at'), 'date') }} as change_day,
        {{ dbt.cast('null', 'bigint') }} as purchase_key, {{ dbt.cast('null', 'bigint') }} as answer_key
    from {{ ref('int_customers_known') }}

    union all

    -- the purchase day and the gap before it (0 for none) as one number: days since 1970 × 10^5 + gap + 1
    select
        customer_id, purchase_day as change_day,
        {{ days_between("cast('1970-01-01' as date)", 'purchase_day') }} * 100000 + coalesce(gap_days + 1, 0) as purchase_key,
        null as answer_key
    from purchase_days

    union all

    -- the answer day and the score: days since 1970 × 100 + score
    select
        customer_id, answer_day as change_day,
        null as purchase_key,
        {{ days_between("cast('1970-01-01' as date)", 'answer_day') }} * 100 + score as answer_key
    from nps_days

    {% for threshold in ('at_risk_days', 'churn_days') %}
    union all

    -- the first day idle longer than the threshold, unless a purchase came first
    select
        customer_id, {{ dbt.cast(dbt.dateadd('day', var(threshold) + 1, 'purchase_day'), 'date') }} as change_day,
        null as purchase_key, null as answer_key
    from purchase_days
    where next_purchase_day is null
        or next_purchase_day > {{ dbt.cast(dbt.dateadd('day', var(threshold) + 1, 'purchase_day'), 'date') }}
    {% endfor %}

    union all

    -- the first day no longer new
    select
        customer_id, {{ dbt.cast(dbt.dateadd('day', var('new_customer_days') + 1, 'first_purchase_day'), 'date') }} as change_day,
        null as purchase_key, null as answer_key
    from first_purchases

),

-- the last change day of each month (the stage at that month's end is judged on it), and the month's
-- latest purchase and answer
months as (

    select
        change_days.customer_id,
        {{ dbt.cast(dbt.date_trunc('month', 'change_days.change_day'), 'date') }} as stage_month,
        max(change_days.change_day) as judged_on,
        max(change_days.purchase_key) as purchase_key,
        max(change_days.answer_key) as answer_key
    from change_days
    cross join as_of
    where change_days.change_day <= as_of.as_of_date
    group by 1, 2

),

carried as (

    select
        customer_id,
        stage_month,
        judged_on,
        max(purchase_key) over history as purchase_key,
        max(answer_key) over history as answer_key
    from months
    window history as (partition by customer_id order by stage_month rows between unbounded preceding and current row)

),

judged as (

    select
        carried.customer_id,
        carried.stage_month,
        {%- set last_purchase_day = dbt.cast(dbt.dateadd('day', 'cast(floor(carried.purchase_key / 100000) as integer)', "cast('1970-01-01' as date)"), 'date') %}
        {{ lifecycle_stage(
            'case when carried.purchase_key is null then 0 else 1 end',
            days_between(last_purchase_day, 'carried.judged_on'),
            days_between('first_purchases.first_purchase_day', 'carried.judged_on'),
            'nullif(carried.purchase_key % 100000, 0) - 1',
            'carried.answer_key % 100'
        ) }} as lifecycle_stage
    from carried
    left join first_purchases on first_purchases.customer_id = carried.customer_id

)

select
    customer_id,
    stage_month,
    lifecycle_stage,
    lag(lifecycle_stage) over (partition by customer_id order by stage_month) as previous_stage,
    lead(stage_month) over (partition by customer_id order by stage_month) as next_stage_month
from judged
