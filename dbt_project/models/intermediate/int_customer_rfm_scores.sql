{#- Each buyer's RFM scores, 1..rfm_bins from percent rank, so tied buyers share a score (the lowest
    of their group) and the result does not depend on row order. A buyer whose net revenue is unknown
    (no exchange rate) ranks lowest on monetary, on every engine.
    percent_rank = (buyers ranked before the value) / (buyers − 1), 0 for a single buyer. It is
    computed on the distinct values and joined back: a value shared by many buyers is sorted once,
    rather than three window sorts of every buyer. -#}
{%- set rfm_orders = {
    'recency': ('days_since_last_order', 'desc'),
    'frequency': ('completed_orders', 'asc'),
    'monetary': ('net_revenue', 'asc nulls first'),
} %}

with

buyers as (

    select recencies.customer_id, recencies.days_since_last_order, summaries.completed_orders, summaries.net_revenue
    from {{ ref('int_customer_recencies') }} as recencies
    inner join {{ ref('int_customer_order_summaries') }} as summaries on summaries.customer_id = recencies.customer_id
    where summaries.completed_orders > 0

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

){{ ',' if not loop.last }}

{% endfor -%}

select
    buyers.customer_id,
    {%- for score in rfm_orders %}
    {%- set percent_rank = dbt.cast(score ~ '_ranks.buyers_ranked_before', 'double')
        ~ ' / nullif(buyer_count.buyers - 1, 0)' %}
    {{ dbt.cast(
        'least(' ~ var('rfm_bins') ~ ', 1 + floor(' ~ var('rfm_bins') ~ ' * coalesce(' ~ percent_rank ~ ', 0)))',
        'integer'
    ) }} as {{ score }}_score{{ ',' if not loop.last }}
    {%- endfor %}
from buyers
cross join buyer_count
{%- for score, (column, _) in rfm_orders.items() %}
inner join {{ score }}_ranks on {{ score }}_ranks.{{ column }} is not distinct from buyers.{{ column }}
{%- endfor %}
