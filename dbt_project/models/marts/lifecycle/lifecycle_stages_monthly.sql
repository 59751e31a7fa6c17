{#- How many people are in each lifecycle stage at every month end (the as-of month: on the as-of
    date): each stage's count is the running sum of the flows into it less the flows out of it
    (`lifecycle_stage_transitions_monthly`). Someone whose stage stayed adds nothing to either, so the
    small table of flows holds all a count needs, without a second pass over every person's history. -#}
{%- set stages = ['prospect', 'new', 'active', 'advocate', 'at risk', 'reactivated', 'churned'] %}

with

transitions as (

    select * from {{ ref('lifecycle_stage_transitions_monthly') }}

),

months as (

    select
        {{ dbt.cast(dbt.dateadd('month', 'offsets.month_offset', 'first_month.first_month'), 'date') }} as stage_month
    from (select min(transition_month) as first_month from transitions) as first_month
    cross join {{ ref('int_as_of_dates') }} as as_of
    inner join {{ ref('int_month_offsets') }} as offsets
        on offsets.month_offset
            <= {{ dbt.datediff('first_month.first_month', month_start('as_of.as_of_date'), 'month') }}

),

stages as (

    {% for stage in stages -%}
    select '{{ stage }}' as lifecycle_stage, {{ loop.index }} as stage_order
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

flows as (

    select transition_month as stage_month, to_stage as lifecycle_stage, customers as stage_change
    from transitions

    union all

    select transition_month as stage_month, from_stage as lifecycle_stage, -customers as stage_change
    from transitions
    where from_stage <> 'first seen'

),

net_changes as (

    select stage_month, lifecycle_stage, sum(stage_change) as stage_change
    from flows
    group by stage_month, lifecycle_stage

),

counts as (

    select
        months.stage_month,
        stages.lifecycle_stage,
        stages.stage_order,
        sum(coalesce(net_changes.stage_change, 0)) over (
            partition by stages.lifecycle_stage order by months.stage_month
            rows between unbounded preceding and current row
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
        '1.0 * counts.customers / nullif(sum(counts.customers) over (partition by counts.stage_month), 0)', 4
    ), 'double') }}
        as share_of_people
from counts
cross join {{ ref('int_as_of_dates') }} as as_of
