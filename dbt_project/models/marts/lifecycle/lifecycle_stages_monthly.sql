{#- How many people are in each lifecycle stage at every month end (the as-of month: on the as-of
    date), from each person's stage history: a stage holds from the month it was reached until the
    month of the next change. -#}
{%- set stages = ['prospect', 'new', 'active', 'advocate', 'at risk', 'reactivated', 'churned'] %}

with

history as (

    select * from {{ ref('int_customer_stage_history') }}

),

months as (

    select {{ dbt.cast(dbt.dateadd('month', 'offsets.month_offset', 'first_month.first_month'), 'date') }} as stage_month
    from (select min(stage_month) as first_month from history) as first_month
    cross join {{ ref('int_as_of_dates') }} as as_of
    inner join {{ ref('int_month_offsets') }} as offsets
        on offsets.month_offset <= {{ dbt.datediff('first_month.first_month', month_start('as_of.as_of_date'), 'month') }}

),

stages as (

    {% for stage in stages -%}
    select '{{ stage }}' as lifecycle_stage, {{ loop.index }} as stage_order
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

changes as (

    select stage_month, lifecycle_stage, 1 as stage_change
    from history

    union all

    select next_stage_month as stage_month, lifecycle_stage, -1 as stage_change
    from history
    where next_stage_month is not null

),

net_changes as (

    select stage_month, lifecycle_stage, sum(stage_change) as stage_change
    from changes
    group by stage_month, lifecycle_stage

),

counts as (

    select
        months.stage_month,
        stages.lifecycle_stage,
        stages.stage_order,
        sum(coalesce(net_changes.stage_change, 0)) over (
            partition by stages.lifecycle_stage order by months.stage_month rows between unbounded preceding and current row
        ) as customers
    from months
    cross join stages
    left join net_changes
        on net_changes.stage_month = months.stage_month and net_changes.lifecycle_stage = stages.lifecycle_stage

)

select
    {{ dbt.cast('counts.stage_month', 'date') }} as stage_month,
    {{ dbt.cast(
        "case when counts.stage_month = " ~ month_start('as_of.as_of_date') ~ " then as_of.as_of_date else "
        ~ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'counts.stage_month')) ~ " end", 'date') }} as snapshot_date,
    {{ dbt.cast('counts.lifecycle_stage', dbt.type_string()) }} as lifecycle_stage,
    {{ dbt.cast('counts.stage_order', 'integer') }} as stage_order,
    {{ dbt.cast('counts.customers', 'bigint') }} as customers,
    {{ dbt.cast(round_half_up(
        '1.0 * counts.customers / nullif(sum(counts.customers) over (partition by counts.stage_month), 0)', 4), 'double') }}
        as share_of_people
from counts
cross join {{ ref('int_as_of_dates') }} as as_of
