{#- One row: the observation end date. Var `as_of` in a build as of a past date, else the day of the latest event. -#}
with

latest_events as (

    select max(ordered_at) as latest_event_at from {{ ref('int_orders_converted') }}
    union all
    select max(created_at) from {{ ref('stg_support__tickets') }}
    union all
    select max(responded_at) from {{ ref('stg_surveys__responses') }}

)

select
    {% if var('as_of') -%}
    {{ dbt.cast("'" ~ var('as_of') ~ "'", 'date') }} as as_of_date
    {%- else -%}
    {{ dbt.cast(to_reporting_time('max(latest_event_at)'), 'date') }} as as_of_date
    {%- endif %}
-- one row whichever branch: the latest of the three sources' latest events
from (select max(latest_event_at) as latest_event_at from latest_events) as latest_events
