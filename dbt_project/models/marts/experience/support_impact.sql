{#- Does support keep customers and raise their value? Buyers grouped by their support experience,
    one dimension at a time (a buyer is in one group of each dimension, and in every ticket channel
    they used), with each group's churn, repeat purchase, value and NPS. -#}
with

tickets as (

    select
        customer_id,
        ticket_channel,
        first_response_at,
        resolved_at,
        csat_score,
        {{ hours_between('created_at', 'first_response_at') }} as first_response_hours
    from {{ ref('stg_support__tickets') }}

),

experience as (

    select
        customer_id,
        max(case when first_response_at is null or first_response_hours > {{ var('support_sla_hours') }} then 1 else 0 end)
            as had_slow_response,
        max(case when resolved_at is null then 1 else 0 end) as has_unresolved_ticket,
        avg(csat_score) as avg_ticket_csat
    from tickets
    group by customer_id

),

buyers as (

    select
        customers.customer_id,
        customers.is_churned,
        customers.historical_clv_margin,
        customers.predicted_clv_12m,
        customers.latest_nps_score,
        -- a 90-day repeat can be told once the first completed order is 90 days old
        {{ days_between(dbt.cast(to_reporting_time('summaries.first_completed_order_at'), 'date'), 'customers.as_of_date') }} >= 90
            as can_tell_repeat_90d,
        {{ days_between(
            dbt.cast(to_reporting_time('summaries.first_completed_order_at'), 'date'),
            dbt.cast(to_reporting_time('summaries.second_completed_order_at'), 'date')
        ) }} <= 90 as repeated_within_90d
    from {{ ref('customers') }} as customers
    inner join {{ ref('int_customer_order_summaries') }} as summaries on summaries.customer_id = customers.customer_id
    where customers.is_buyer

),

groups as (

    select buyers.customer_id, 'tickets' as dimension,
        case when experience.customer_id is null then 'no tickets' else 'with tickets' end as support_group
    from buyers
    left join experience on experience.customer_id = buyers.customer_id

    union all

    select experience.customer_id, 'first response' as dimension,
        case when experience.had_slow_response = 1 then 'slower than the SLA, or unanswered' else 'within the SLA' end
            as support_group
    from experience
    inner join buyers on buyers.customer_id = experience.customer_id

    union all

    select experience.customer_id, 'resolution' as dimension,
        case when experience.has_unresolved_ticket = 1 then 'a ticket unresolved' else 'every ticket resolved' end
            as support_group
    from experience
    inner join buyers on buyers.customer_id = experience.customer_id

    union all

    select experience.customer_id, 'ticket csat' as dimension,
        case
            when experience.avg_ticket_csat is null then 'not rated'
            when experience.avg_ticket_csat <= 2 then 'low (1-2)'
            when experience.avg_ticket_csat >= 4 then 'high (4-5)'
            else 'middling'
        end as support_group
    from experience
    inner join buyers on buyers.customer_id = experience.customer_id

    union all

    select distinct tickets.customer_id, 'ticket channel' as dimension, tickets.ticket_channel as support_group
    from tickets
    inner join buyers on buyers.customer_id = tickets.customer_id

)

select
    {{ dbt.cast('groups.dimension', dbt.type_string()) }} as dimension,
    {{ dbt.cast('groups.support_group', dbt.type_string()) }} as support_group,
    {{ dbt.cast('count(*)', 'bigint') }} as customers,
    {{ dbt.cast(round_half_up('avg(case when buyers.is_churned then 1.0 else 0 end)', 4), 'double') }} as churn_rate,
    {{ dbt.cast(round_half_up(
        '1.0 * sum(case when buyers.can_tell_repeat_90d and buyers.repeated_within_90d then 1 else 0 end)'
        ~ ' / nullif(sum(case when buyers.can_tell_repeat_90d then 1 else 0 end), 0)', 4), 'double') }} as repeat_rate_90d,
    {{ to_money('avg(buyers.historical_clv_margin)') }} as avg_historical_clv_margin,
    {{ to_money('avg(buyers.predicted_clv_12m)') }} as avg_predicted_clv_12m,
    {{ dbt.cast('count(buyers.latest_nps_score)', 'bigint') }} as nps_respondents,
    {{ dbt.cast(round_half_up(
        '100.0 * (sum(case when buyers.latest_nps_score >= 9 then 1 else 0 end)'
        ~ ' - sum(case when buyers.latest_nps_score <= 6 then 1 else 0 end)) / nullif(count(buyers.latest_nps_score), 0)', 2),
        'double') }} as nps
from groups
inner join buyers on buyers.customer_id = groups.customer_id
group by groups.dimension, groups.support_group
