with

as_of as (

    select as_of_date from {{ ref('int_as_of_dates') }}

),

latest_nps as (

    select customer_id, score as latest_nps_score
    from (
        select
            *,
            row_number() over (partition by customer_id order by responded_at desc, response_id desc) as recency_rank
        from {{ ref('stg_surveys__responses') }}
        where survey_type = 'nps'
    ) as ranked
    where recency_rank = 1

),

order_recency as (

    select
        known.customer_id,
        known.first_seen_at,
        -- the order figures that do not depend on the as-of date, kept up to date incrementally; none
        -- for a prospect who has only written or answered a survey
        coalesce(summaries.orders, 0) as orders,
        summaries.first_order_at,
        summaries.last_order_at,
        summaries.last_completed_order_at,
        coalesce(summaries.completed_orders, 0) as completed_orders,
        coalesce(summaries.refunded_orders, 0) as refunded_orders,
        coalesce(summaries.cancelled_orders, 0) as cancelled_orders,
        coalesce(summaries.orders_without_fx_rate, 0) as orders_without_fx_rate,
        summaries.gross_revenue,
        summaries.refunds,
        summaries.net_revenue,
        summaries.net_margin,
        coalesce(summaries.has_estimated_margin, false) as has_estimated_margin,
        summaries.first_completed_order_at,
        summaries.second_completed_order_at,
        summaries.cohort_month,
        summaries.acquisition_channel,
        summaries.last_gap_days,
        as_of.as_of_date,
        {{ days_between(dbt.cast(to_reporting_time('summaries.last_completed_order_at'), 'date'), 'as_of.as_of_date') }}
            as days_since_last_order
    from {{ ref('int_customers_known') }} as known
    left join {{ ref('int_customer_order_summaries') }} as summaries on summaries.customer_id = known.customer_id
    cross join as_of

),

{#- RFM scores 1..rfm_bins from percent rank, so tied customers share a score (the lowest of
    their group) and the result does not depend on row order. Only buyers are scored; a buyer whose
    net revenue is unknown (no exchange rate) ranks lowest on monetary, on every engine.
    percent_rank = (buyers ranked before the value) / (buyers − 1), 0 for a single buyer. It is
    computed on the distinct values and joined back: recency and frequency have a few thousand
    distinct values, where three window sorts of every buyer would dominate the mart. -#}
{%- set rfm_orders = {
    'recency': ('days_since_last_order', 'desc'),
    'frequency': ('completed_orders', 'asc'),
    'monetary': ('net_revenue', 'asc nulls first'),
} %}

buyers as (

    select customer_id, days_since_last_order, completed_orders, net_revenue
    from order_recency
    where completed_orders > 0

),

buyer_count as (

    select count(*) as buyers from buyers

),

{% for score, (column, direction) in rfm_orders.items() -%}
{{ score }}_ranks as (

    select
        {{ column }},
        sum(count(*)) over (order by {{ column }} {{ direction }}) - count(*) as buyers_ranked_before
    from buyers
    group by {{ column }}

),

{% endfor -%}

rfm as (

    select
        buyers.customer_id,
        {%- for score in rfm_orders %}
        least({{ var('rfm_bins') }}, 1 + floor({{ var('rfm_bins') }} * coalesce(
            {{ dbt.cast(score ~ '_ranks.buyers_ranked_before', 'double') }} / nullif(buyer_count.buyers - 1, 0), 0
        ))) as {{ score }}_score{{ ',' if not loop.last }}
        {%- endfor %}
    from buyers
    cross join buyer_count
    {%- for score, (column, _) in rfm_orders.items() %}
    inner join {{ score }}_ranks on {{ score }}_ranks.{{ column }} is not distinct from buyers.{{ column }}
    {%- endfor %}

),

customer_facts as (

    select
        order_recency.*,
        coalesce(tickets.tickets, 0) as tickets,
        coalesce(tickets.open_tickets, 0) as open_tickets,
        tickets.median_first_response_hours,
        tickets.median_resolution_hours,
        tickets.avg_ticket_csat,
        latest_nps.latest_nps_score,
        predictions.expected_purchases_12m,
        predictions.p_alive,
        predictions.expected_avg_spend,
        predictions.predicted_clv_12m,
        rfm.recency_score,
        rfm.frequency_score,
        rfm.monetary_score,
        {{ days_between(dbt.cast(to_reporting_time('order_recency.first_completed_order_at'), 'date'), 'order_recency.as_of_date') }}
            as tenure_days,
        coalesce(tickets.cost_to_serve, 0) as cost_to_serve,
        costs.acquisition_cost,
        costs.profitable_since,
        costs.months_to_profitability
    from order_recency
    left join {{ ref('int_customer_support_summaries') }} as tickets on tickets.customer_id = order_recency.customer_id
    left join latest_nps on latest_nps.customer_id = order_recency.customer_id
    left join rfm on rfm.customer_id = order_recency.customer_id
    left join {{ ref('stg_clv__predictions') }} as predictions on predictions.customer_id = order_recency.customer_id
    left join {{ ref('int_customer_costs') }} as costs on costs.customer_id = order_recency.customer_id

),

scored as (

    select
        *,
        case when latest_nps_score is not null then {{ nps_category('latest_nps_score') }} end as latest_nps_category,
        {{ is_churned('days_since_last_order') }} as is_churned
    from customer_facts

),

staged as (

    select
        *,
        case
            when recency_score is null then null
            when recency_score >= 4 and frequency_score >= 4 and monetary_score >= 4 then 'champions'
            when recency_score >= 3 and frequency_score >= 4 then 'loyal'
            when recency_score >= 3 and frequency_score >= 2 then 'potential loyalists'
            when recency_score >= 4 then 'new'
            when frequency_score >= 3 then 'at risk'
            when recency_score >= 2 then 'hibernating'
            else 'lost'
        end as rfm_segment,
        {{ lifecycle_stage('completed_orders', 'days_since_last_order', 'tenure_days', 'last_gap_days', 'latest_nps_score') }}
            as lifecycle_stage
    from scored

),

health as (

    select
        *,
        {#- Health 0-100: recency 40, frequency 20, monetary 10, latest NPS 15, support 15. In doubles on
            every engine: Spark divides by a decimal literal with 6 decimals only (15 × (1 − 2/3) =
            4.999995), which moves a score lying exactly on .5 to the other side. -#}
        case when completed_orders = 0 then 0 else {{ round_half_up(
            "40 * greatest(0, 1 - days_since_last_order / " ~ dbt.cast(var('churn_days'), 'double') ~ ")
            + 20 * (frequency_score - 1) / " ~ dbt.cast(var('rfm_bins') ~ ' - 1', 'double') ~ "
            + 10 * (monetary_score - 1) / " ~ dbt.cast(var('rfm_bins') ~ ' - 1', 'double') ~ "
            + 15 * case latest_nps_category when 'promoter' then 1 when 'detractor' then 0 else 0.5 end
            + 15 * greatest(0, 1 - open_tickets / " ~ dbt.cast('3', 'double') ~ ")", 0) }} end as health_score
    from staged

),

{#- Customer value on margin, in the parts it is made of, each in whole cents so the sum is exact. -#}
valued as (

    select
        *,
        {{ to_money('coalesce(net_margin, 0)') }} as value_historical_margin,
        {{ to_money('coalesce(predicted_clv_12m, 0)') }} as value_predicted_margin,
        {{ to_money('cost_to_serve') }} as value_cost_to_serve,
        {{ to_money('coalesce(acquisition_cost, 0)') }} as value_acquisition_cost
    from health

),

valued_buyers as (

    select
        *,
        value_historical_margin + value_predicted_margin - value_cost_to_serve - value_acquisition_cost as customer_value
    from valued

),

{#- The most valuable are the buyers whose value's percent rank among buyers is at least 1 − the
    share (var `most_valuable_share`): every value from the lowest that qualifies. Found on the
    distinct values, as the RFM ranks are, rather than by ranking every buyer's whole row. -#}
value_ranks as (

    select
        customer_value,
        sum(count(*)) over (order by customer_value) - count(*) as buyers_ranked_before
    from valued_buyers
    where completed_orders > 0
    group by customer_value

),

most_valuable_from as (

    select min(value_ranks.customer_value) as customer_value
    from value_ranks
    cross join buyer_count
    where coalesce(
        {{ dbt.cast('value_ranks.buyers_ranked_before', 'double') }} / nullif(buyer_count.buyers - 1, 0), 0
    ) >= 1 - {{ var('most_valuable_share') }}

),

tiered as (

    select
        valued_buyers.*,
        {#- Peppers & Rogers' tiers, over buyers only; first match. -#}
        case
            when valued_buyers.completed_orders = 0 then null
            when valued_buyers.customer_value < 0 then 'below zero'
            when valued_buyers.customer_value >= most_valuable_from.customer_value then 'most valuable'
            when valued_buyers.value_predicted_margin >= valued_buyers.value_historical_margin
                and valued_buyers.p_alive >= {{ var('growable_min_p_alive') }} then 'most growable'
            else 'maintain'
        end as value_tier
    from valued_buyers
    cross join most_valuable_from

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
    {{ dbt.cast(round_half_up('365.0 * completed_orders / greatest(tenure_days, ' ~ var('min_tenure_days_for_frequency') ~ ')', 4), 'double') }}
        as purchase_frequency_per_year,
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
    {{ dbt.cast('value_cost_to_serve', 'decimal(18, 2)') }} as cost_to_serve,
    {{ to_money('acquisition_cost') }} as acquisition_cost,
    {{ dbt.cast('customer_value', 'decimal(18, 2)') }} as customer_value,
    {{ dbt.cast('value_tier', dbt.type_string()) }} as value_tier,
    {{ dbt.cast('profitable_since', 'timestamp') }} as profitable_since,
    {{ dbt.cast('months_to_profitability', 'integer') }} as months_to_profitability
from tiered
