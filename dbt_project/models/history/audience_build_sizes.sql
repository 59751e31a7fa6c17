{#- Append-only: each build appends one row per lifecycle audience (every one `lifecycle_audiences` lists,
    an empty one too): its members and value at stake after the build, and who entered and exited in it
    (audience_membership_changes' rows of this build). What `audience_sizes` draws over time and what
    `audiences` compares with; never rebuilt, as the membership history. -#}
with

audiences as (

    {%- for audience in lifecycle_audiences() %}
    select '{{ audience.name }}' as audience
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

members as (

    select audience, count(*) as members, sum(value_at_stake) as value_at_stake
    from {{ ref('int_audience_members') }}
    group by audience

),

changes as (

    select
        audience,
        sum(case when change = 'entered' then 1 else 0 end) as entered,
        sum(case when change = 'exited' then 1 else 0 end) as exited
    from {{ ref('audience_membership_changes') }}
    where run_id = '{{ invocation_id }}'
    group by audience

)

select
    {{ dbt.cast("'" ~ invocation_id ~ "'", dbt.type_string()) }} as run_id,
    {{ dbt.cast("'" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "'", 'timestamp') }} as run_started_at,
    {{ dbt.cast('as_of.as_of_date', 'date') }} as as_of_date,
    {{ dbt.cast('audiences.audience', dbt.type_string()) }} as audience,
    {{ dbt.cast('coalesce(members.members, 0)', 'bigint') }} as members,
    {{ to_money('coalesce(members.value_at_stake, 0)') }} as value_at_stake,
    {{ dbt.cast('coalesce(changes.entered, 0)', 'bigint') }} as entered,
    {{ dbt.cast('coalesce(changes.exited, 0)', 'bigint') }} as exited
from audiences
cross join {{ ref('int_as_of_dates') }} as as_of
left join members on members.audience = audiences.audience
left join changes on changes.audience = audiences.audience
