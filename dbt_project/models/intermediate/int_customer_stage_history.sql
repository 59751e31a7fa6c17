{#- Each person's lifecycle stage at the end of every month in which it may have changed, as the
    customers mart's rule (`lifecycle_stage`) judges it that day; between two such months it stays
    what it was. A stage changes only on a day something happens, so it is judged only at the last
    such day of each month, never for every person and month. The steps: the days a stage may change
    (change_days), the last of them in each month (months), what is known by then (carried), the
    judgement (the final select). Incremental: a daily run judges again only the people
    `stage_history_changed_customers` names; people no longer known are removed afterwards. -#}
-- depends_on: {{ ref('int_customer_order_summaries') }}
{{ incremental_where_supported(
    'customer_id',
    "delete from {{ this }} where customer_id not in (select customer_id from {{ ref('int_customers_known') }})"
) }}

{%- set judged_with = 'new ' ~ var('new_customer_days') ~ ', at risk ' ~ var('at_risk_days') ~ ', churned '
    ~ var('churn_days') ~ ', ' ~ var('reporting_timezone') %}
{%- set incremental = is_incremental_with('nps_responses') %}

with

as_of as (

    select as_of_date from {{ ref('int_as_of_dates') }}

),

{% if incremental -%}
{{ stage_history_changed_customers(judged_with) }},

{% endif -%}
{#- An incremental build reads only the changed customers' rows. -#}
{%- set changed_only = 'customer_id in (select customer_id from changed_customers)' %}

-- each day's latest NPS answer as its key (macro `pack_answer_key`), and the day's number of answers
nps_days as (

    select
        customer_id,
        answer_day,
        {{ pack_answer_key('answer_day', 'score') }} as answer_key,
        responses
    from (
        select
            customer_id,
            {{ dbt.cast(to_reporting_time('responded_at'), 'date') }} as answer_day,
            score,
            {%- set the_day = 'partition by customer_id, ' ~ dbt.cast(to_reporting_time('responded_at'), 'date')
                ~ ' order by responded_at desc, response_id desc' %}
            row_number() over ({{ the_day }}) as latest_of_the_day,
            count(*) over ({{ the_day }} rows between unbounded preceding and unbounded following) as responses
        from {{ ref('stg_surveys__responses') }}
        where survey_type = 'nps'{% if incremental %} and {{ changed_only }}{% endif %}
    ) as answers
    where latest_of_the_day = 1

),

-- each purchase day, the gap before it and the next one
purchase_days as (

    select customer_id, purchase_day, gap_days, next_purchase_day
    from {{ ref('int_customer_purchase_days') }}
    {%- if incremental %}
    where {{ changed_only }}
    {%- endif %}

),

-- the days a stage may change, each with what happened on it (the purchase and its gap, the NPS answer)
change_days as (

    select
        known.customer_id, {{ dbt.cast(to_reporting_time('known.first_seen_at'), 'date') }} as change_day,
        {{ dbt.cast('null', 'bigint') }} as purchase_key, {{ dbt.cast('null', 'date') }} as first_purchase_day,
        {{ dbt.cast('null', 'bigint') }} as answer_key, {{ dbt.cast('null', 'bigint') }} as responses
    from {{ ref('int_customers_known') }} as known
    {%- if incremental %}
    where known.{{ changed_only }}
    {%- endif %}

    union all

    -- the purchase day and the gap before it as one number (macro `pack_purchase_key`)
    select
        customer_id, purchase_day as change_day,
        {{ pack_purchase_key('purchase_day', 'gap_days') }} as purchase_key,
        case when gap_days is null then purchase_day end as first_purchase_day,
        null as answer_key, null as responses
    from purchase_days

    union all

    select
        customer_id, answer_day as change_day, null as purchase_key, null as first_purchase_day, answer_key,
        responses
    from nps_days

    {% for threshold in ('at_risk_days', 'churn_days') %}
    union all

    -- the first day idle longer than the threshold, unless a purchase came first
    select
        customer_id, {{ days_after('purchase_day', var(threshold) + 1) }} as change_day,
        null as purchase_key, null as first_purchase_day, null as answer_key, null as responses
    from purchase_days
    where next_purchase_day is null
        or next_purchase_day > {{ days_after('purchase_day', var(threshold) + 1) }}
    {% endfor %}

    union all

    -- the first day no longer new
    select
        customer_id, {{ days_after('purchase_day', var('new_customer_days') + 1) }} as change_day,
        null as purchase_key, null as first_purchase_day, null as answer_key, null as responses
    from purchase_days
    where gap_days is null

),

-- the last change day of each month (the stage at that month's end is judged on it), the month's
-- latest purchase, first purchase and latest answer, and its number of NPS answers
months as (

    select
        change_days.customer_id,
        {{ dbt.cast(dbt.date_trunc('month', 'change_days.change_day'), 'date') }} as stage_month,
        max(change_days.change_day) as judged_on,
        max(change_days.purchase_key) as purchase_key,
        min(change_days.first_purchase_day) as first_purchase_day,
        max(change_days.answer_key) as answer_key,
        sum(change_days.responses) as responses
    from change_days
    cross join as_of
    where change_days.change_day <= as_of.as_of_date
    group by 1, 2

),

{#- One sort of each person's months: the latest purchase and answer up to this month and up to the
    month before, as running maxima of their keys; the stage at the month before is judged from the
    maxima up to the row before, rather than by a second sort for `lag`. -#}
{%- set history = 'partition by customer_id order by stage_month' %}
{%- set through_this = history ~ ' rows between unbounded preceding and current row' %}
{%- set through_before = history ~ ' rows between unbounded preceding and 1 preceding' %}
carried as (

    select
        customer_id,
        stage_month,
        judged_on,
        max(purchase_key) over ({{ through_this }}) as purchase_key,
        max(answer_key) over ({{ through_this }}) as answer_key,
        min(first_purchase_day) over ({{ through_this }}) as first_purchase_day,
        responses,
        lag(judged_on) over ({{ history }}) as previous_judged_on,
        max(purchase_key) over ({{ through_before }}) as previous_purchase_key,
        max(answer_key) over ({{ through_before }}) as previous_answer_key,
        lead(stage_month) over ({{ history }}) as next_stage_month
    from months

)


{#- The first purchase day serves both judgements: before it, there is no purchase to measure tenure from. #}
select
    carried.customer_id,
    carried.stage_month,
    {{ lifecycle_stage_from_keys(
        'carried.purchase_key', 'carried.answer_key', 'carried.first_purchase_day', 'carried.judged_on'
    ) }} as lifecycle_stage,
    case when carried.previous_judged_on is not null then
        {{ lifecycle_stage_from_keys(
            'carried.previous_purchase_key', 'carried.previous_answer_key', 'carried.first_purchase_day',
            'carried.previous_judged_on'
        ) }}
    end as previous_stage,
    carried.next_stage_month,
    -- what the incremental build compares against: the judgement's as-of date, rules and time, and
    -- the NPS answers judged in the month
    as_of.as_of_date,
    {{ dbt.cast("'" ~ judged_with ~ "'", dbt.type_string()) }} as judged_with,
    {{ dbt.cast(dbt.current_timestamp(), 'timestamp') }} as judged_at,
    {{ dbt.cast('coalesce(carried.responses, 0)', 'bigint') }} as nps_responses
from carried
cross join as_of
