{#- service_recovery: buyers with a positive customer value who, in the `audience_recent_days` days up to
    the as-of date, gave a detractor's NPS answer (0-6) or opened a ticket whose first response came later
    than `support_sla_hours` (or has not come and the SLA had passed by the end of the as-of day). Value at
    stake: the customer value. -#}
with

as_of as (

    select
        as_of_date,
        {{ days_after('as_of_date', -var('audience_recent_days')) }} as window_start,
        -- an unanswered ticket is judged at the end of the as-of day, in reporting time as the day is
        {{ dbt.cast(days_after('as_of_date', 1), 'timestamp') }} as as_of_day_ends_at
    from {{ ref('int_as_of_dates') }}

),

detractor_answers as (

    select answers.customer_id, count(*) as detractor_answers
    from {{ ref('stg_surveys__responses') }} as answers
    cross join as_of
    where answers.survey_type = 'nps'
        and {{ is_detractor('answers.score') }}
        and {{ dbt.cast(to_reporting_time('answers.responded_at'), 'date') }} > as_of.window_start
        and {{ dbt.cast(to_reporting_time('answers.responded_at'), 'date') }} <= as_of.as_of_date
    group by answers.customer_id

),

late_tickets as (

    select tickets.customer_id, count(*) as late_tickets
    from {{ ref('stg_support__tickets') }} as tickets
    cross join as_of
    where {{ dbt.cast(to_reporting_time('tickets.created_at'), 'date') }} > as_of.window_start
        and {{ dbt.cast(to_reporting_time('tickets.created_at'), 'date') }} <= as_of.as_of_date
        and (
            {{ hours_between('tickets.created_at', 'tickets.first_response_at') }} > {{ var('support_sla_hours') }}
            or (
                tickets.first_response_at is null
                and {{ hours_between(to_reporting_time('tickets.created_at'), 'as_of.as_of_day_ends_at') }}
                    > {{ var('support_sla_hours') }}
            )
        )
    group by tickets.customer_id

),

unhappy_buyers as (

    select
        customers.customer_id,
        customers.customer_value,
        coalesce(detractor_answers.detractor_answers, 0) as detractor_answers,
        coalesce(late_tickets.late_tickets, 0) as late_tickets
    from {{ ref('customers') }} as customers
    left join detractor_answers on detractor_answers.customer_id = customers.customer_id
    left join late_tickets on late_tickets.customer_id = customers.customer_id
    where customers.is_buyer and customers.customer_value > 0

)

select
    customer_id,
    'service_recovery' as audience,
    case
        when detractor_answers > 0 and late_tickets > 0 then 'detractor answer and ticket over the SLA'
        when detractor_answers > 0 then 'detractor answer'
        else 'ticket over the SLA'
    end || ' in the last {{ var("audience_recent_days") }} days' as reason,
    {{ to_money('customer_value') }} as value_at_stake
from unhappy_buyers
where detractor_answers > 0 or late_tickets > 0
