{#- Every person's recency and tenure in whole days up to the as-of date, counted between days in the
    reporting time zone: since the latest completed order and since the first (null for a prospect). -#}
{%- set last_order_day = dbt.cast(to_reporting_time('summaries.last_completed_order_at'), 'date') %}
{%- set first_order_day = dbt.cast(to_reporting_time('summaries.first_completed_order_at'), 'date') %}

with

as_of as (

    select as_of_date from {{ ref('int_as_of_dates') }}

)

select
    known.customer_id,
    as_of.as_of_date,
    {{ days_between(last_order_day, 'as_of.as_of_date') }} as days_since_last_order,
    {{ days_between(first_order_day, 'as_of.as_of_date') }} as tenure_days
from {{ ref('int_customers_known') }} as known
left join {{ ref('int_customer_order_summaries') }} as summaries on summaries.customer_id = known.customer_id
cross join as_of
