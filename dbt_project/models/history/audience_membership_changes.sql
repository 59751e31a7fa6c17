{#- Append-only history of the lifecycle audiences: each build appends who entered and who exited each
    audience since the build before, judged against the latest change of each person in this table
    (docs/decisions/0011-audience-history-append-only.md). Never rebuilt (the folder's config): a full
    refresh of the project keeps the history; a first build has everyone entering. -#}
with

today as (

    select audience, customer_id, reason, value_at_stake, as_of_date
    from {{ ref('int_audience_members') }}

),

{% if is_incremental() -%}
previous as (

    select audience, customer_id, member_since
    from ({{ latest_audience_changes(this) }}) as latest
    where change = 'entered'

),
{%- else -%}
previous as (

    select audience, customer_id, {{ dbt.cast('null', 'date') }} as member_since
    from today
    where 1 = 0

),
{%- endif %}

as_of as (

    select as_of_date from {{ ref('int_as_of_dates') }}

),

changes as (

    select
        'entered' as change,
        today.audience,
        today.customer_id,
        today.reason,
        today.value_at_stake,
        today.as_of_date as member_since
    from today
    left join previous on previous.audience = today.audience and previous.customer_id = today.customer_id
    where previous.customer_id is null

    union all

    select
        'exited' as change,
        previous.audience,
        previous.customer_id,
        'no longer meets the rule' as reason,
        {{ to_money('null') }} as value_at_stake,
        previous.member_since
    from previous
    left join today on today.audience = previous.audience and today.customer_id = previous.customer_id
    where today.customer_id is null

)

select
    -- the build: dbt's invocation id, and when it started
    {{ dbt.cast("'" ~ invocation_id ~ "'", dbt.type_string()) }} as run_id,
    {{ dbt.cast("'" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "'", 'timestamp') }} as run_started_at,
    {{ dbt.cast('as_of.as_of_date', 'date') }} as as_of_date,
    {{ dbt.cast('changes.audience', dbt.type_string()) }} as audience,
    {{ dbt.cast('changes.customer_id', dbt.type_string()) }} as customer_id,
    {{ dbt.cast('changes.change', dbt.type_string()) }} as change,
    {{ dbt.cast('changes.reason', dbt.type_string()) }} as reason,
    {{ to_money('changes.value_at_stake') }} as value_at_stake,
    {{ dbt.cast('changes.member_since', 'date') }} as member_since
from changes
cross join as_of
