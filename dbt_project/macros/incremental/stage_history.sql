{#- The people the stage history must judge again, as CTEs ending in `changed_customers` (the model
    supplies `as_of`). A person's rows change only when something of theirs changes, or when one of
    their change days falls between the last judgement's as-of date and this one's: everyone when
    the rules (`judged_with`: the stage vars and the reporting time zone) changed or the as-of date
    moved back. Something of theirs: their orders summarised since the last judgement (an order
    converted or gone), a buyer left without a completed order, a first-seen month other than the
    one the history starts in, NPS answers staged since, or another number of them than judged (kept
    on each month's row). -#}
{% macro stage_history_changed_customers(judged_with) -%}
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
    left join {{ ref('int_customer_order_summaries') }} as summaries
        on summaries.customer_id = latest_rows.customer_id
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

)
{%- endmacro %}
