{#- Every person the data knows, one row each: anyone with an order, a support ticket or a survey
    answer. A person without a completed order is a prospect; the first contact of any kind is when
    the pipeline first saw them. Orders and tickets come from their per-person summaries, a row per
    person rather than per event. -#}
with

contacts as (

    select customer_id, first_order_at as first_seen_at
    from {{ ref('int_customer_order_summaries') }}

    union all

    select customer_id, first_ticket_at as first_seen_at
    from {{ ref('int_customer_support_summaries') }}

    union all

    select customer_id, min(responded_at) as first_seen_at
    from {{ ref('stg_surveys__responses') }}
    group by customer_id

)

select
    customer_id,
    min(first_seen_at) as first_seen_at
from contacts
group by customer_id
