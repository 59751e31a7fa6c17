{#- The stage history's last month end (the as-of date) counts the people in each stage that the
    customers mart shows: one rule (`lifecycle_stage`), two ways of applying it. With an as-of date set
    in the past, the customers mart still reads later orders, so the comparison holds only without one. -#}
{#- A check on `customers` (dagster meta): the test reads two marts, and the check belongs to the later one. -#}
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'customers'}}}) }}
{#- Referred to whether or not an as-of date is set, so that the test has the same parents either way and
    runs in the same dbt step, after `customers` is built. -#}
{%- set stages_monthly, customers = ref('lifecycle_stages_monthly'), ref('customers') %}

{% if var('as_of') %}
select 1 as mismatch where 1 = 0
{% else %}
with

history as (

    select stages.lifecycle_stage, stages.customers
    from {{ stages_monthly }} as stages
    where stages.stage_month = (select max(stage_month) from {{ stages_monthly }})

),

today as (

    select lifecycle_stage, count(*) as customers
    from {{ customers }}
    group by lifecycle_stage

)

select
    coalesce(history.lifecycle_stage, today.lifecycle_stage) as lifecycle_stage,
    history.customers as in_history,
    today.customers as in_customers
from history
full outer join today on today.lifecycle_stage = history.lifecycle_stage
where coalesce(history.customers, 0) <> coalesce(today.customers, 0)
{% endif %}
