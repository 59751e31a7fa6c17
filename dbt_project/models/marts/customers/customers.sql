{#- One row per person the data knows, assembled from the per-person steps: the order summary, recency
    and tenure, support, the latest NPS answer, the CLV predictions, RFM scores, segments, value and
    costs. Here the columns are named and typed for the contract, with the ratios read off one row
    (average order value, purchase frequency). -#}
with

assembled as (

    select
        known.customer_id,
        known.first_seen_at,
        -- none for a prospect who has only written or answered a survey
        coalesce(summaries.completed_orders, 0) as completed_orders,
        coalesce(summaries.refunded_orders, 0) as refunded_orders,
        coalesce(summaries.cancelled_orders, 0) as cancelled_orders,
        coalesce(summaries.orders_without_fx_rate, 0) as orders_without_fx_rate,
        summaries.first_order_at,
        summaries.last_order_at,
        summaries.first_completed_order_at,
        summaries.second_completed_order_at,
        summaries.last_completed_order_at,
        summaries.cohort_month,
        summaries.acquisition_channel,
        summaries.gross_revenue,
        summaries.refunds,
        summaries.net_revenue,
        summaries.net_margin,
        coalesce(summaries.has_estimated_margin, false) as has_estimated_margin,
        recencies.as_of_date,
        recencies.days_since_last_order,
        recencies.tenure_days,
        coalesce(support.tickets, 0) as tickets,
        coalesce(support.open_tickets, 0) as open_tickets,
        support.median_first_response_hours,
        support.median_resolution_hours,
        support.avg_ticket_csat,
        nps.latest_nps_score,
        nps.latest_nps_category,
        predictions.expected_purchases_12m,
        predictions.p_alive,
        predictions.expected_avg_spend,
        predictions.predicted_clv_12m,
        rfm.recency_score,
        rfm.frequency_score,
        rfm.monetary_score,
        segments.rfm_segment,
        segments.lifecycle_stage,
        segments.is_churned,
        segments.health_score,
        customer_values.cost_to_serve,
        customer_values.customer_value,
        customer_values.value_tier,
        costs.acquisition_cost,
        costs.profitable_since,
        costs.months_to_profitability
    from {{ ref('int_customers_known') }} as known
    left join {{ ref('int_customer_order_summaries') }} as summaries on summaries.customer_id = known.customer_id
    left join {{ ref('int_customer_recencies') }} as recencies on recencies.customer_id = known.customer_id
    left join {{ ref('int_customer_support_summaries') }} as support on support.customer_id = known.customer_id
    left join {{ ref('int_customer_latest_nps_scores') }} as nps on nps.customer_id = known.customer_id
    left join {{ ref('stg_clv__predictions') }} as predictions on predictions.customer_id = known.customer_id
    left join {{ ref('int_customer_rfm_scores') }} as rfm on rfm.customer_id = known.customer_id
    left join {{ ref('int_customer_segments') }} as segments on segments.customer_id = known.customer_id
    left join {{ ref('int_customer_values') }} as customer_values on customer_values.customer_id = known.customer_id
    left join {{ ref('int_customer_costs') }} as costs on costs.customer_id = known.customer_id

)

select
    -- ids
    {{ dbt.cast('customer_id', dbt.type_string()) }} as customer_id,

    -- who: every known person; a buyer has a completed order, everyone else is a prospect
    {{ dbt.cast('completed_orders > 0', 'boolean') }} as is_buyer,
    {{ dbt.cast('first_seen_at', 'timestamp') }} as first_seen_at,

    -- acquisition
    {{ dbt.cast('acquisition_channel', dbt.type_string()) }} as acquisition_channel,
    {{ dbt.cast('cohort_month', 'date') }} as cohort_month,
    {{ dbt.cast('first_order_at', 'timestamp') }} as first_order_at,
    {{ dbt.cast('last_order_at', 'timestamp') }} as last_order_at,
    {{ dbt.cast('first_completed_order_at', 'timestamp') }} as first_completed_order_at,
    {{ dbt.cast('second_completed_order_at', 'timestamp') }} as second_completed_order_at,
    {{ dbt.cast('last_completed_order_at', 'timestamp') }} as last_completed_order_at,

    -- orders
    {{ dbt.cast('completed_orders', 'bigint') }} as completed_orders,
    {{ dbt.cast('refunded_orders', 'bigint') }} as refunded_orders,
    {{ dbt.cast('cancelled_orders', 'bigint') }} as cancelled_orders,
    {{ dbt.cast('orders_without_fx_rate', 'bigint') }} as orders_without_fx_rate,

    -- money, in the reporting currency
    {{ to_money('coalesce(gross_revenue, 0)') }} as gross_revenue,
    {{ to_money('coalesce(refunds, 0)') }} as refunds,
    {{ to_money('coalesce(net_revenue, 0)') }} as net_revenue,
    {{ to_money('coalesce(net_margin, 0)') }} as net_margin,
    has_estimated_margin,
    {{ to_money('net_revenue / nullif(completed_orders, 0)') }} as average_order_value,
    {%- set per_year = '365.0 * completed_orders / greatest(tenure_days, '
        ~ var('min_tenure_days_for_frequency') ~ ')' %}
    {{ dbt.cast(round_half_up(per_year, 4), 'double') }} as purchase_frequency_per_year,
    {{ to_money('coalesce(net_margin, 0)') }} as historical_clv_margin,
    {{ to_money('coalesce(net_revenue, 0)') }} as historical_clv_revenue,

    -- predicted, 12 months ahead (BG/NBD or MBG/NBD with Gamma-Gamma; null when the models could not be fitted)
    {{ dbt.cast(round_half_up('expected_purchases_12m', 4), 'double') }} as expected_purchases_12m,
    {{ dbt.cast(round_half_up('p_alive', 4), 'double') }} as p_alive,
    {{ to_money('expected_avg_spend') }} as expected_avg_margin_per_purchase,
    {{ to_money('predicted_clv_12m') }} as predicted_clv_12m,

    -- recency and tenure, in days up to the as-of date
    {{ dbt.cast('as_of_date', 'date') }} as as_of_date,
    {{ dbt.cast('days_since_last_order', 'integer') }} as days_since_last_order,
    {{ dbt.cast('tenure_days', 'integer') }} as tenure_days,

    -- support and satisfaction
    {{ dbt.cast('tickets', 'bigint') }} as tickets,
    {{ dbt.cast('open_tickets', 'bigint') }} as open_tickets,
    {{ dbt.cast(round_half_up('median_first_response_hours', 2), 'double') }} as median_first_response_hours,
    {{ dbt.cast(round_half_up('median_resolution_hours', 2), 'double') }} as median_resolution_hours,
    {{ dbt.cast(round_half_up('avg_ticket_csat', 2), 'double') }} as avg_ticket_csat,
    {{ dbt.cast('latest_nps_score', 'integer') }} as latest_nps_score,
    {{ dbt.cast('latest_nps_category', dbt.type_string()) }} as latest_nps_category,

    -- segments
    {{ dbt.cast('recency_score', 'integer') }} as recency_score,
    {{ dbt.cast('frequency_score', 'integer') }} as frequency_score,
    {{ dbt.cast('monetary_score', 'integer') }} as monetary_score,
    {{ dbt.cast('rfm_segment', dbt.type_string()) }} as rfm_segment,
    {{ dbt.cast('lifecycle_stage', dbt.type_string()) }} as lifecycle_stage,
    is_churned,
    {{ dbt.cast('health_score', 'integer') }} as health_score,

    -- value on margin, net of what the customer cost to acquire and to serve
    {{ dbt.cast('cost_to_serve', 'decimal(18, 2)') }} as cost_to_serve,
    {{ to_money('acquisition_cost') }} as acquisition_cost,
    {{ dbt.cast('customer_value', 'decimal(18, 2)') }} as customer_value,
    {{ dbt.cast('value_tier', dbt.type_string()) }} as value_tier,
    {{ dbt.cast('profitable_since', 'timestamp') }} as profitable_since,
    {{ dbt.cast('months_to_profitability', 'integer') }} as months_to_profitability
from assembled
