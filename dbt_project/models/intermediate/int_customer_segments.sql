{#- Every person's segments as of the as-of date: the RFM segment (buyers only), the lifecycle stage
    (macro `lifecycle_stage`), churned or not, and the health score. -#}
with

facts as (

    select
        recencies.customer_id,
        coalesce(summaries.completed_orders, 0) as completed_orders,
        summaries.last_gap_days,
        recencies.days_since_last_order,
        recencies.tenure_days,
        rfm.recency_score,
        rfm.frequency_score,
        rfm.monetary_score,
        nps.latest_nps_score,
        nps.latest_nps_category,
        coalesce(support.open_tickets, 0) as open_tickets
    from {{ ref('int_customer_recencies') }} as recencies
    left join {{ ref('int_customer_order_summaries') }} as summaries on summaries.customer_id = recencies.customer_id
    left join {{ ref('int_customer_rfm_scores') }} as rfm on rfm.customer_id = recencies.customer_id
    left join {{ ref('int_customer_latest_nps_scores') }} as nps on nps.customer_id = recencies.customer_id
    left join {{ ref('int_customer_support_summaries') }} as support on support.customer_id = recencies.customer_id

)

select
    customer_id,
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
    {{ lifecycle_stage(
        'completed_orders', 'days_since_last_order', 'tenure_days', 'last_gap_days', 'latest_nps_score'
    ) }} as lifecycle_stage,
    {{ is_churned('days_since_last_order') }} as is_churned,
    {#- Health 0-100: recency 40, frequency 20, monetary 10, latest NPS 15, support 15. In doubles on
        every engine: Spark divides by a decimal literal with 6 decimals only (15 × (1 − 2/3) =
        4.999995), which moves a score lying exactly on .5 to the other side. #}
    {%- set score_steps = dbt.cast(var('rfm_bins') ~ ' - 1', 'double') %}
    case when completed_orders = 0 then 0 else {{ round_half_up(
        "40 * greatest(0, 1 - days_since_last_order / " ~ dbt.cast(var('churn_days'), 'double') ~ ")
        + 20 * (frequency_score - 1) / " ~ score_steps ~ "
        + 10 * (monetary_score - 1) / " ~ score_steps ~ "
        + 15 * case latest_nps_category when 'promoter' then 1 when 'detractor' then 0 else 0.5 end
        + 15 * greatest(0, 1 - open_tickets / " ~ dbt.cast('3', 'double') ~ ")", 0) }} end as health_score
from facts
