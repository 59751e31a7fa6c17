{#- Each person's lifecycle stage at the end of every month in which it may have changed, as the
    customers mart's rule (`lifecycle_stage`) judges it that day; between two such months it stays
    what it was. A stage can change only on a day something happens: the person is first seen, buys,
    answers an NPS survey, or crosses a threshold since the first or the latest purchase (new ends,
    at risk, churned). So the stage is judged only at the last such day of each month, never for every
    person and month. The latest purchase (with the gap before it) and the latest NPS answer as of each
    judgement are carried forward as running maxima of one number each (the day, then the gap or the
    score in the low digits): a running max streams where a range join or a running last-value holds
    every person's events at once. The stage at the month before is judged in the same window pass
    from the maxima up to the row before, rather than by a second sort for `lag`. The as-of month ends
    on the as-of date.
    Incremental: a person's rows change only when something of theirs changes or when one of their
    change days falls between the last judgement's as-of date and this one's, so a daily run judges
    again only those people (all of them when the rules or the reporting time zone changed, or the
    as-of date moved back). Changed means: a summary of their orders recomputed since the last
    judgement (an order converted or gone), a buyer left without a completed order, a first-seen month other than the
    one the history starts in, NPS answers staged since, or another number of them than judged (kept
    on each month's row). People no longer known are removed afterwards. -#}
-- depends_on: {{ ref('int_customer_order_summaries') }}
{{ incremental_where_supported(
    'customer_id',
    "delete from {{ this }} where customer_id not in (select customer_id from {{ ref('int_customers_known') }})"
) }}

{%- set judged_with = 'new ' ~ var('new_customer_days') ~ ', at risk ' ~ var('at_risk_days') ~ ', churned '
    ~ var('churn_days') ~ ', ' ~ var('reporting_timezone') %}
{%- set epoch = "cast('1970-01-01' as date)" %}
{%- set incremental = is_incremental_with('nps_responses') %}

with

as_of as (

    select as_of_date from {{ ref('int_as_of_dates') }}

),

{% if incremental -%}
previous_judgement as (

    select
        max(as_of_date) as as_of_date,
        max(judged_at) as judged_at,
        max(case when judged_with <> '{{ judged_with }}' then 1 else 0 end) as rules_changed
    from {{ this }}

),

latest_rows as (

    select customer_id, lifecycle_stage
    from {{ this }}
    where next_stage_month is null

),

judged_answers as (

    select customer_id, sum(nps_responses) as responses
    from {{ this }}
    where nps_responses > 0
    group by customer_id

),

changed_customers as (

    -- everyone, when the rules changed or the as-of date moved back
    select known.customer_id
    from {{ ref('int_customers_known') }} as known
    cross join previous_judgement
    cross join as_of
    where previous_judgement.rules_changed = 1 or as_of.as_of_date < previous_judgement.as_of_date

    union

    -- a purchase, or a threshold crossed since a purchase, after the last judgement's as-of date (a
    -- superset: every threshold from every purchase day)
    select days.customer_id
    from {{ ref('int_customer_purchase_days') }} as days
    cross join previous_judgement
    cross join as_of
    where
        {%- for threshold in [0, var('new_customer_days') + 1, var('at_risk_days') + 1, var('churn_days') + 1] %}
        (days.purchase_day > {{ days_after('previous_judgement.as_of_date', -threshold) }}
            and days.purchase_day <= {{ days_after('as_of.as_of_date', -threshold) }})
        {{- ' or' if not loop.last }}
        {%- endfor %}

    union

    -- a customer's orders summarised since the last judgement: the summaries summarise again everyone
    -- with an order converted (which is also when their purchase days are listed again) or one fewer
    select customer_id
    from {{ ref('int_customer_order_summaries') }}
    where summarised_at > (select judged_at from previous_judgement)

    union

    -- a buyer judged before, now without a completed order
    select latest_rows.customer_id
    from latest_rows
    left join {{ ref('int_customer_order_summaries') }} as summaries on summaries.customer_id = latest_rows.customer_id
    where latest_rows.lifecycle_stage <> 'prospect' and coalesce(summaries.completed_orders, 0) = 0

    union

    -- new people, and people first seen in another month than their history starts
    select known.customer_id
    from {{ ref('int_customers_known') }} as known
    left join (
        select customer_id, stage_month from {{ this }} where previous_stage is null
    ) as first_rows on first_rows.customer_id = known.customer_id
    where first_rows.stage_month is null
        or first_rows.stage_month <> {{ month_start(dbt.cast(to_reporting_time('known.first_seen_at'), 'date')) }}

    union

    -- NPS answers staged since the last judgement (new, or reloaded), or another number of them up
    -- to the as-of date than were judged (some left, or the as-of date passed them)
    select customer_id
    from {{ ref('stg_surveys__responses') }}
    where survey_type = 'nps' and loaded_at > (select judged_at from previous_judgement)

    union

    select coalesce(answered.customer_id, judged_answers.customer_id)
    from (
        select responses.customer_id, count(*) as responses
        from {{ ref('stg_surveys__responses') }} as responses
        cross join as_of
        where responses.survey_type = 'nps'
            and {{ dbt.cast(to_reporting_time('responses.responded_at'), 'date') }} <= as_of.as_of_date
        group by responses.customer_id
    ) as answered
    full outer join judged_answers on judged_answers.customer_id = answered.customer_id
    where coalesce(answered.responses, 0) <> coalesce(judged_answers.responses, 0)

),

{% endif -%}
{#- An incremental build reads only the changed customers' rows. -#}
{%- set changed_only = 'customer_id in (select customer_id from changed_customers)' %}

-- each day's latest NPS answer, as one number: days since 1970 × 100 + score; and the day's number of answers
nps_days as (

    select
        customer_id,
        answer_day,
        {{ days_between(epoch, 'answer_day') }} * 100 + score as answer_key,
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

    -- the purchase day and the gap before it (0 for none) as one number: days since 1970 × 10^5 + gap + 1
    select
        customer_id, purchase_day as change_day,
        {{ days_between(epoch, 'purchase_day') }} * 100000 + coalesce(gap_days + 1, 0) as purchase_key,
        case when gap_days is null then purchase_day end as first_purchase_day,
        null as answer_key, null as responses
    from purchase_days

    union all

    select customer_id, answer_day as change_day, null as purchase_key, null as first_purchase_day, answer_key, responses
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

{#- One sort of each person's months: what is known up to this month and up to the month before. -#}
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
    {{ lifecycle_stage_from_keys('carried.purchase_key', 'carried.answer_key', 'carried.first_purchase_day', 'carried.judged_on') }}
        as lifecycle_stage,
    case when carried.previous_judged_on is not null then
        {{ lifecycle_stage_from_keys(
            'carried.previous_purchase_key', 'carried.previous_answer_key', 'carried.first_purchase_day', 'carried.previous_judged_on'
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
