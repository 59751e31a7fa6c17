{#- One row per lifecycle audience (macro `lifecycle_audiences`, listed in this model's meta for the
    pipeline's audience assets): its definition, today's size and value at stake, and how it changed in
    this build (entered, exited) against the size after the build before (the audience history). -#}
{%- set audiences = lifecycle_audiences() %}
{{ config(meta={'audiences': audiences | map(attribute='name') | list}) }}

with

definitions as (

    {%- for audience in audiences %}
    select
        {{ loop.index }} as display_order,
        '{{ audience.name }}' as audience,
        '{{ dbt.escape_single_quotes(audience.definition) }}' as definition
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

builds as (

    select
        *,
        row_number() over (partition by audience order by run_started_at desc, run_id desc) as latest_first
    from {{ ref('audience_build_sizes') }}
    where run_id <> '{{ invocation_id }}'

),

members as (

    select audience, count(*) as members, sum(value_at_stake) as value_at_stake
    from {{ ref('audience_members') }}
    group by audience

),

changes as (

    select
        audience,
        sum(case when change = 'entered' then 1 else 0 end) as entered,
        sum(case when change = 'exited' then 1 else 0 end) as exited
    from {{ ref('audience_changes') }}
    group by audience

)

select
    {{ dbt.cast('definitions.audience', dbt.type_string()) }} as audience,
    {{ dbt.cast('definitions.display_order', 'integer') }} as display_order,
    {{ dbt.cast('definitions.definition', dbt.type_string()) }} as definition,
    {{ dbt.cast('as_of.as_of_date', 'date') }} as as_of_date,
    {{ dbt.cast('coalesce(members.members, 0)', 'bigint') }} as members,
    {{ to_money('coalesce(members.value_at_stake, 0)') }} as value_at_stake,
    {{ dbt.cast('coalesce(changes.entered, 0)', 'bigint') }} as entered,
    {{ dbt.cast('coalesce(changes.exited, 0)', 'bigint') }} as exited,
    -- after the build before this one, from the history (0 before the first build)
    {{ dbt.cast('coalesce(previous.members, 0)', 'bigint') }} as previous_members
from definitions
cross join {{ ref('int_as_of_dates') }} as as_of
left join members on members.audience = definitions.audience
left join changes on changes.audience = definitions.audience
left join builds as previous on previous.audience = definitions.audience and previous.latest_first = 1
