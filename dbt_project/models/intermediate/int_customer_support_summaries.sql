{#- One row per person with a support ticket: what the customers mart, the support-impact mart and the
    cost to serve need of their tickets, none of it depending on the as-of date.
    Incremental: a daily run summarises again only the people with a ticket staged since the last
    build of this model, or with another number of tickets than their summary counts (a ticket that
    left staging), and everyone when the SLA or the contact costs changed; people left without tickets
    are removed afterwards. -#}
{{ incremental_where_supported(
    'customer_id',
    "delete from {{ this }} where customer_id not in (select customer_id from {{ ref('stg_support__tickets') }})"
) }}

{%- set summarised_with = 'sla ' ~ var('support_sla_hours') ~ ', contact costs ' ~ (var('cost_per_contact') | tojson) %}

with

{% if is_incremental() -%}
changed_customers as (

    {{ people_to_summarise_again(ref('stg_support__tickets'), 'staged_at', 'tickets') }}

    union

    select customer_id from {{ ref('stg_support__tickets') }}
    where (select max(case when summarised_with <> '{{ summarised_with }}' then 1 else 0 end) from {{ this }}) = 1

),

{% endif -%}
tickets as (

    select
        customer_id,
        created_at,
        ticket_status,
        csat_score,
        first_response_at,
        resolved_at,
        {{ hours_between('created_at', 'first_response_at') }} as first_response_hours,
        {{ hours_between('created_at', 'resolved_at') }} as resolution_hours,
        {{ contact_channel('ticket_channel') }} as contact_channel,
        {{ contact_cost('ticket_channel') }} as contact_cost
    from {{ ref('stg_support__tickets') }}
    {%- if is_incremental() %}
    where customer_id in (select customer_id from changed_customers)
    {%- endif %}

)

select
    customer_id,
    count(*) as tickets,
    min(created_at) as first_ticket_at,
    sum(case when ticket_status in ('new', 'open', 'pending') then 1 else 0 end) as open_tickets,
    {{ percentile('first_response_hours', 0.5) }} as median_first_response_hours,
    {{ percentile('resolution_hours', 0.5) }} as median_resolution_hours,
    avg(csat_score) as avg_ticket_csat,
    -- a ticket answered later than the SLA (var `support_sla_hours`), or not at all
    max(
        case when first_response_at is null or first_response_hours > {{ var('support_sla_hours') }} then 1 else 0 end
    ) = 1
        as had_slow_response,
    max(case when resolved_at is null then 1 else 0 end) = 1 as has_unresolved_ticket,
    sum(contact_cost) as cost_to_serve,
    -- the contact channels used, one flag per channel of var `cost_per_contact` (any other channel
    -- counts as `other`, as in the cost)
    {%- for channel in var('cost_per_contact') %}
    max(case when contact_channel = '{{ channel }}' then 1 else 0 end) = 1 as contacted_by_{{ channel }},
    {%- endfor %}
    -- when this summary was computed, and with which SLA and contact costs: what the next incremental build
    -- compares against
    {{ dbt.cast(dbt.current_timestamp(), "timestamp") }} as summarised_at,
    {{ dbt.cast("'" ~ summarised_with ~ "'", dbt.type_string()) }} as summarised_with
from tickets
group by customer_id
