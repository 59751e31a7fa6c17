{#- Each lifecycle audience's size over time, from the audience history: one row per as-of date and
    audience, the members after the last build of that date (entered less exited, summed over every build
    so far) and the entries and exits of that date's builds. -#}
with

per_build as (

    select
        run_started_at,
        as_of_date,
        audience,
        sum(case when change = 'entered' then 1 else -1 end) as net_change,
        sum(case when change = 'entered' then 1 else 0 end) as entered,
        sum(case when change = 'exited' then 1 else 0 end) as exited
    from {{ ref('audience_membership_changes') }}
    group by run_started_at, as_of_date, audience

),

running as (

    select
        as_of_date,
        audience,
        entered,
        exited,
        sum(net_change) over (
            partition by audience order by run_started_at rows between unbounded preceding and current row
        ) as members,
        row_number() over (partition by audience, as_of_date order by run_started_at desc) as latest_first
    from per_build

),

per_date as (

    select
        as_of_date,
        audience,
        max(case when latest_first = 1 then members end) as members,
        sum(entered) as entered,
        sum(exited) as exited
    from running
    group by as_of_date, audience

)

select
    {{ dbt.cast('as_of_date', 'date') }} as as_of_date,
    {{ dbt.cast('audience', dbt.type_string()) }} as audience,
    {{ dbt.cast('members', 'bigint') }} as members,
    {{ dbt.cast('entered', 'bigint') }} as entered,
    {{ dbt.cast('exited', 'bigint') }} as exited
from per_date
