{#- below_zero_review: buyers whose cost to serve and acquisition exceed their margin, historical and
    predicted (value tier below zero), whose service model deserves a review. Value at stake: the shortfall,
    what the business loses on them. -#}
select
    customer_id,
    'below_zero_review' as audience,
    'costs ' || {{ figure_text('cost_to_serve + coalesce(acquisition_cost, 0)', 2) }} || ' exceed margin '
    || {{ figure_text('customer_value + cost_to_serve + coalesce(acquisition_cost, 0)', 2) }} as reason,
    {{ to_money('-customer_value') }} as value_at_stake
from {{ ref('customers') }}
where is_buyer and value_tier = 'below zero'
