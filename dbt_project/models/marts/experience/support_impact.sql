{#- Does support keep customers and raise their value? Buyers grouped by their support experience,
    one dimension at a time (a buyer is in one group of each dimension, and in every ticket channel
    they used), with each group's churn, repeat purchase, value and NPS. -#}
{%- set measures = 'is_churned, historical_clv_margin, predicted_clv_12m, latest_nps_score, '
    ~ 'can_tell_repeat_90d, repeated_within_90d' %}

with

-- each buyer once, with their group in each single-valued dimension (none without a ticket)
buyers as (

    select
        customers.customer_id,
        customers.is_churned,
        customers.historical_clv_margin,
        customers.predicted_clv_12m,
        customers.latest_nps_score,
        -- a 90-day repeat can be told once the first completed order is 90 days old
        {{ days_between(
            dbt.cast(to_reporting_time('customers.first_completed_order_at'), 'date'), 'customers.as_of_date'
        ) }} >= 90 as can_tell_repeat_90d,
        {{ days_between(
            dbt.cast(to_reporting_time('customers.first_completed_order_at'), 'date'),
            dbt.cast(to_reporting_time('customers.second_completed_order_at'), 'date')
        ) }} <= 90 as repeated_within_90d,
        case when experience.customer_id is null then 'no tickets' else 'with tickets' end as tickets_group,
        case
            when experience.customer_id is null then null
            when experience.had_slow_response then 'slower than the SLA, or unanswered'
            else 'within the SLA'
        end as first_response_group,
        case
            when experience.customer_id is null then null
            when experience.has_unresolved_ticket then 'a ticket unresolved'
            else 'every ticket resolved'
        end as resolution_group,
        case
            when experience.customer_id is null then null
            when experience.avg_ticket_csat is null then 'not rated'
            when experience.avg_ticket_csat <= 2 then 'low (1-2)'
            when experience.avg_ticket_csat >= 4 then 'high (4-5)'
            else 'middling'
        end as ticket_csat_group,
        {%- for channel in var('cost_per_contact') %}
        coalesce(experience.contacted_by_{{ channel }}, false) as contacted_by_{{ channel }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('customers') }} as customers
    left join {{ ref('int_customer_support_summaries') }} as experience
        on experience.customer_id = customers.customer_id
    where customers.is_buyer

),

{#- Each branch: the dimension, the buyer's group in it, and which buyers are in a group of it. -#}
{%- set branches = [] %}
{%- for dimension, column in [
    ('tickets', 'tickets_group'),
    ('first response', 'first_response_group'),
    ('resolution', 'resolution_group'),
    ('ticket csat', 'ticket_csat_group'),
] %}
    {%- do branches.append((dimension, column, column ~ ' is not null')) %}
{%- endfor %}
{%- for channel in var('cost_per_contact') %}
    {%- do branches.append(('ticket channel', "'" ~ channel ~ "'", 'contacted_by_' ~ channel)) %}
{%- endfor %}
-- a buyer's row once per dimension, in its group (ticket channel: once per channel they used,
-- as the cost of a contact names it)
groups as (

    {% for dimension, support_group, in_dimension in branches -%}
    select '{{ dimension }}' as dimension, {{ support_group }} as support_group, {{ measures }}
    from buyers
    where {{ in_dimension }}
    {%- if not loop.last %}

    union all

    {% endif %}
    {%- endfor %}

)

select
    {{ dbt.cast('groups.dimension', dbt.type_string()) }} as dimension,
    {{ dbt.cast('groups.support_group', dbt.type_string()) }} as support_group,
    {{ dbt.cast('count(*)', 'bigint') }} as customers,
    {#- Rates from whole numbers: Spark averages a decimal literal to five places, and rounding that to four
        could round twice. -#}
    {{ dbt.cast(round_half_up('avg(case when groups.is_churned then 1 else 0 end)', 4), 'double') }} as churn_rate,
    {{ dbt.cast(round_half_up(
        '1.0 * sum(case when groups.can_tell_repeat_90d and groups.repeated_within_90d then 1 else 0 end)'
        ~ ' / nullif(sum(case when groups.can_tell_repeat_90d then 1 else 0 end), 0)', 4
    ), 'double') }} as repeat_rate_90d,
    {{ to_money('avg(groups.historical_clv_margin)') }} as avg_historical_clv_margin,
    {{ to_money('avg(groups.predicted_clv_12m)') }} as avg_predicted_clv_12m,
    {{ dbt.cast('count(groups.latest_nps_score)', 'bigint') }} as nps_respondents,
    {{ dbt.cast(round_half_up(
        '100.0 * (sum(case when groups.latest_nps_score >= 9 then 1 else 0 end)'
        ~ ' - sum(case when groups.latest_nps_score <= 6 then 1 else 0 end))'
        ~ ' / nullif(count(groups.latest_nps_score), 0)', 2),
        'double') }} as nps
from groups
group by groups.dimension, groups.support_group
