{#- win_back: valuable buyers who are slipping. Valuable: value tier most valuable or most growable, or a
    predicted 12-month CLV in the top `audience_win_back_top_clv_share` of buyers'; slipping: P(alive)
    below `audience_win_back_max_p_alive`, or the lifecycle stage at risk. Value at stake: the predicted
    12-month CLV, what the business keeps if they come back. -#}
with

top_clv_from as (

    {#- in doubles on both engines: DuckDB's quantile of a decimal is rounded to its scale, Spark's is not #}
    select {{ percentile(dbt.cast('predicted_clv_12m', 'double'), 1 - var('audience_win_back_top_clv_share')) }}
        as predicted_clv_12m
    from {{ ref('customers') }}
    where is_buyer

),

valuable as (

    select
        customers.customer_id,
        customers.value_tier,
        customers.predicted_clv_12m,
        customers.p_alive,
        customers.lifecycle_stage,
        customers.predicted_clv_12m >= top_clv_from.predicted_clv_12m as has_top_clv
    from {{ ref('customers') }} as customers
    cross join top_clv_from
    where customers.is_buyer

)

select
    customer_id,
    'win_back' as audience,
    case when value_tier in ('most valuable', 'most growable') then value_tier else 'top predicted CLV' end
    || '; '
    || case
        when p_alive < {{ var('audience_win_back_max_p_alive') }} then 'P(alive) ' || {{ figure_text('p_alive', 2) }}
        else 'at risk'
    end as reason,
    {{ to_money('coalesce(predicted_clv_12m, 0)') }} as value_at_stake
from valuable
where (value_tier in ('most valuable', 'most growable') or coalesce(has_top_clv, false))
    and (p_alive < {{ var('audience_win_back_max_p_alive') }} or lifecycle_stage = 'at risk')
