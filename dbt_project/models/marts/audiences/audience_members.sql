{#- One row per customer and lifecycle audience they are in today: why, the figures that put them there,
    their priority within the audience (1 = the largest value at stake) and since when they are in it
    (the as-of date of the build they last entered it, from the audience history). -#}
with

member_since as (

    select audience, customer_id, member_since
    from ({{ latest_audience_changes(ref('audience_membership_changes')) }}) as latest
    where change = 'entered'

)

select
    {{ dbt.cast('members.audience', dbt.type_string()) }} as audience,
    {{ dbt.cast('members.customer_id', dbt.type_string()) }} as customer_id,
    {{ dbt.cast('members.priority', 'bigint') }} as priority,
    {{ dbt.cast('members.reason', dbt.type_string()) }} as reason,
    {{ to_money('members.value_at_stake') }} as value_at_stake,
    {{ dbt.cast('member_since.member_since', 'date') }} as member_since,
    {{ dbt.cast('members.as_of_date', 'date') }} as as_of_date,

    -- the figures the rules read
    {{ dbt.cast('members.lifecycle_stage', dbt.type_string()) }} as lifecycle_stage,
    {{ dbt.cast('members.value_tier', dbt.type_string()) }} as value_tier,
    {{ dbt.cast('members.customer_value', 'decimal(18, 2)') }} as customer_value,
    {{ dbt.cast('members.cost_to_serve', 'decimal(18, 2)') }} as cost_to_serve,
    {{ to_money('members.acquisition_cost') }} as acquisition_cost,
    {{ to_money('members.predicted_clv_12m') }} as predicted_clv_12m,
    {{ dbt.cast('members.p_alive', 'double') }} as p_alive,
    {{ dbt.cast('members.completed_orders', 'bigint') }} as completed_orders,
    {{ dbt.cast('members.days_since_last_order', 'integer') }} as days_since_last_order,
    {{ dbt.cast('members.latest_nps_score', 'integer') }} as latest_nps_score,
    {{ dbt.cast('members.open_tickets', 'bigint') }} as open_tickets
from {{ ref('int_audience_members') }} as members
left join member_since
    on member_since.audience = members.audience and member_since.customer_id = members.customer_id
