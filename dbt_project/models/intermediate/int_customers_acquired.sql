{#- When and how each customer was acquired: the first completed order sets the cohort month
    and the acquisition channel, and its net margin is what the customer brought at once
    (int_customer_order_summaries). Customers without a completed order have no cohort. -#}
select
    customer_id,
    first_completed_order_at,
    cohort_month,
    acquisition_channel,
    first_completed_order_margin
from {{ ref('int_customer_order_summaries') }}
where first_completed_order_at is not null
