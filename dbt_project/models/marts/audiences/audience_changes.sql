{#- Who entered and who exited each lifecycle audience in this build, against the build before (the first
    build has everyone entering): the rows this build appended to the audience history. -#}
select
    {{ dbt.cast('as_of_date', 'date') }} as as_of_date,
    {{ dbt.cast('audience', dbt.type_string()) }} as audience,
    {{ dbt.cast('customer_id', dbt.type_string()) }} as customer_id,
    {{ dbt.cast('change', dbt.type_string()) }} as change,
    {{ dbt.cast('reason', dbt.type_string()) }} as reason,
    {{ to_money('value_at_stake') }} as value_at_stake,
    {{ dbt.cast('member_since', 'date') }} as member_since
from {{ ref('audience_membership_changes') }}
where run_id = '{{ invocation_id }}'
