{#- advocates: promoters (latest NPS answer 9-10) with repeat purchases (two or more completed orders) and no
    open ticket, to ask for referrals and reviews. Value at stake: the predicted 12-month CLV. -#}
select
    customer_id,
    'advocates' as audience,
    'promoter (NPS ' || {{ figure_text('latest_nps_score') }} || '), '
    || {{ figure_text('completed_orders') }} || ' orders, no open ticket' as reason,
    {{ to_money('coalesce(predicted_clv_12m, 0)') }} as value_at_stake
from {{ ref('customers') }}
where {{ is_promoter('latest_nps_score') }}
    and completed_orders >= 2
    and open_tickets = 0
