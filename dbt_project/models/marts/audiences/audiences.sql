{#- One row per lifecycle audience (macro `lifecycle_audiences`, listed in this model's meta for the
    pipeline's audience assets): its definition, today's size and value at stake, and how it changed in
    this build (entered, exited) against the size after the build before, from the audience history
    (audience_build_sizes). -#}
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

this_build as (

    select * from {{ ref('audience_build_sizes') }}
    where run_id = '{{ invocation_id }}'

)

select
    {{ dbt.cast('definitions.audience', dbt.type_string()) }} as audience,
    {{ dbt.cast('definitions.display_order', 'integer') }} as display_order,
    {{ dbt.cast('definitions.definition', dbt.type_string()) }} as definition,
    {{ dbt.cast('as_of.as_of_date', 'date') }} as as_of_date,
    {{ dbt.cast('coalesce(this_build.members, 0)', 'bigint') }} as members,
    {{ to_money('coalesce(this_build.value_at_stake, 0)') }} as value_at_stake,
    {{ dbt.cast('coalesce(this_build.entered, 0)', 'bigint') }} as entered,
    {{ dbt.cast('coalesce(this_build.exited, 0)', 'bigint') }} as exited,
    -- after the build before this one, from the history (0 before the first build)
    {{ dbt.cast('coalesce(previous.members, 0)', 'bigint') }} as previous_members
from definitions
cross join {{ ref('int_as_of_dates') }} as as_of
left join this_build on this_build.audience = definitions.audience
left join builds as previous on previous.audience = definitions.audience and previous.latest_first = 1
