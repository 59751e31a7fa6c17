{#- Support by month and ticket channel, apart for buyers' tickets and prospects' (people with no
    completed order). Created, response and resolution figures belong to the
    month a ticket was created; `tickets_solved` to the month it was resolved. A ticket never
    answered has no first-response time and is counted in `unanswered_tickets`. A ticket with a
    resolution time whose status is no longer solved/closed was reopened. -#}
with

tickets as (

    select
        tickets.*,
        acquired.customer_id is not null as is_buyer,
        {{ month_start(to_reporting_time('tickets.created_at')) }} as created_month,
        {{ month_start(to_reporting_time('tickets.resolved_at')) }} as resolved_month,
        {{ hours_between('tickets.created_at', 'tickets.first_response_at') }} as first_response_hours,
        {{ hours_between('tickets.created_at', 'tickets.resolved_at') }} as resolution_hours
    from {{ ref('stg_support__tickets') }} as tickets
    left join {{ ref('int_customers_acquired') }} as acquired on acquired.customer_id = tickets.customer_id

),

created as (

    select
        created_month as ticket_month,
        ticket_channel,
        is_buyer,
        count(*) as tickets_created,
        sum(case when first_response_at is null then 1 else 0 end) as unanswered_tickets,
        {{ percentile('first_response_hours', 0.5) }} as median_first_response_hours,
        {{ percentile('first_response_hours', 0.9) }} as p90_first_response_hours,
        {{ percentile('resolution_hours', 0.5) }} as median_resolution_hours,
        {{ percentile('resolution_hours', 0.9) }} as p90_resolution_hours,
        sum(case when resolved_at is not null then 1 else 0 end) as tickets_resolved,
        sum(case when resolved_at is not null and ticket_status in ('solved', 'closed') then 1 else 0 end)
            as resolved_not_reopened,
        count(csat_score) as csat_responses,
        avg(csat_score) as avg_csat,
        sum(case when {{ is_satisfied('csat_score') }} then 1 else 0 end) as satisfied_responses
    from tickets
    group by 1, 2, 3

),

solved as (

    select resolved_month as ticket_month, ticket_channel, is_buyer, count(*) as tickets_solved
    from tickets
    where resolved_at is not null and ticket_status in ('solved', 'closed')
    group by 1, 2, 3

),

months as (

    select ticket_month, ticket_channel, is_buyer from created
    union
    select ticket_month, ticket_channel, is_buyer from solved

)

select
    {{ dbt.cast('months.ticket_month', 'date') }} as ticket_month,
    {{ dbt.cast('months.ticket_channel', dbt.type_string()) }} as ticket_channel,
    months.is_buyer,
    {{ dbt.cast('coalesce(created.tickets_created, 0)', 'bigint') }} as tickets_created,
    {{ dbt.cast('coalesce(solved.tickets_solved, 0)', 'bigint') }} as tickets_solved,
    {{ dbt.cast('coalesce(created.unanswered_tickets, 0)', 'bigint') }} as unanswered_tickets,
    {{ dbt.cast(round_half_up('created.median_first_response_hours', 2), 'double') }} as median_first_response_hours,
    {{ dbt.cast(round_half_up('created.p90_first_response_hours', 2), 'double') }} as p90_first_response_hours,
    {{ dbt.cast(var('support_sla_hours'), 'double') }} as sla_hours,
    {{ dbt.cast(round_half_up('created.median_resolution_hours', 2), 'double') }} as median_resolution_hours,
    {{ dbt.cast(round_half_up('created.p90_resolution_hours', 2), 'double') }} as p90_resolution_hours,
    {{ dbt.cast(round_half_up(
        '1.0 * created.resolved_not_reopened / nullif(created.tickets_resolved, 0)', 4), 'double') }}
        as reopen_free_share,
    {{ dbt.cast('coalesce(created.csat_responses, 0)', 'bigint') }} as csat_responses,
    {{ dbt.cast(round_half_up('created.avg_csat', 2), 'double') }} as avg_csat,
    {{ csat_pct('created.satisfied_responses', 'created.csat_responses') }} as csat_pct
from months
left join created
    on created.ticket_month = months.ticket_month and created.ticket_channel = months.ticket_channel
    and created.is_buyer = months.is_buyer
left join solved
    on solved.ticket_month = months.ticket_month and solved.ticket_channel = months.ticket_channel
    and solved.is_buyer = months.is_buyer
