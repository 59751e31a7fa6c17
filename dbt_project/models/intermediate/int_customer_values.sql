{#- Every person's value on margin: historical margin + predicted 12-month margin − cost to serve −
    acquisition cost, each part in whole cents so the sum is exact; and for buyers, Peppers &
    Rogers' value tier (first match). The most valuable are the buyers whose value's percent rank
    among buyers is at least 1 − var `most_valuable_share`: every value from the lowest that
    qualifies, found on the distinct values as the RFM ranks are. -#}
with

valued as (

    select
        known.customer_id,
        coalesce(summaries.completed_orders, 0) as completed_orders,
        predictions.p_alive,
        {{ to_money('coalesce(summaries.net_margin, 0)') }} as historical_margin,
        {{ to_money('coalesce(predictions.predicted_clv_12m, 0)') }} as predicted_margin,
        {{ to_money('coalesce(support.cost_to_serve, 0)') }} as cost_to_serve,
        {{ to_money('coalesce(costs.acquisition_cost, 0)') }} as acquisition_cost
    from {{ ref('int_customers_known') }} as known
    left join {{ ref('int_customer_order_summaries') }} as summaries on summaries.customer_id = known.customer_id
    left join {{ ref('stg_clv__predictions') }} as predictions on predictions.customer_id = known.customer_id
    left join {{ ref('int_customer_support_summaries') }} as support on support.customer_id = known.customer_id
    left join {{ ref('int_customer_costs') }} as costs on costs.customer_id = known.customer_id

),

customer_values as (

    select *, historical_margin + predicted_margin - cost_to_serve - acquisition_cost as customer_value
    from valued

),

value_ranks as (

    select
        customer_value,
        sum(count(*)) over (order by customer_value) - count(*) as buyers_ranked_before,
        sum(count(*)) over () as buyers
    from customer_values
    where completed_orders > 0
    group by customer_value

),

most_valuable_from as (

    select min(customer_value) as customer_value
    from value_ranks
    where coalesce({{ dbt.cast('buyers_ranked_before', 'double') }} / nullif(buyers - 1, 0), 0)
        >= 1 - {{ var('most_valuable_share') }}

)

select
    customer_values.customer_id,
    customer_values.cost_to_serve,
    customer_values.customer_value,
    case
        when customer_values.completed_orders = 0 then null
        when customer_values.customer_value < 0 then 'below zero'
        when customer_values.customer_value >= most_valuable_from.customer_value then 'most valuable'
        when customer_values.predicted_margin >= customer_values.historical_margin
            and customer_values.p_alive >= {{ var('growable_min_p_alive') }} then 'most growable'
        else 'maintain'
    end as value_tier
from customer_values
cross join most_valuable_from
