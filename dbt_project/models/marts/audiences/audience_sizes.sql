{#- Each lifecycle audience's size over time, from the audience history (audience_build_sizes): one row per
    as-of date and audience, the members and value at stake after the last build of that date, and the
    entries and exits of that date's builds. -#}
with

builds as (

    select
        *,
        row_number() over (partition by audience, as_of_date order by run_started_at desc, run_id desc) as latest_first
    from {{ ref('audience_build_sizes') }}

),

per_date as (

    select
        as_of_date,
        audience,
        max(case when latest_first = 1 then members end) as members,
        max(case when latest_first = 1 then value_at_stake end) as value_at_stake,
        sum(entered) as entered,
        sum(exited) as exited
    from builds
    group by as_of_date, audience

)

select
    {{ dbt.cast('as_of_date', 'date') }} as as_of_date,
    {{ dbt.cast('audience', dbt.type_string()) }} as audience,
    {{ dbt.cast('members', 'bigint') }} as members,
    {{ to_money('value_at_stake') }} as value_at_stake,
    {{ dbt.cast('entered', 'bigint') }} as entered,
    {{ dbt.cast('exited', 'bigint') }} as exited
from per_date
