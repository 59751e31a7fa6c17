{#- Every person the data knows, one row each: anyone with an order, a support ticket or a survey
    answer. A person without a completed order is a prospect; the first contact of any kind is when
    the pipeline first saw them. -#}
with

contacts as (

    select customer_id, min(ordered_at) as first_seen_at
    from {{ ref('int_orders_converted') }}
    group by customer_id

    union all

    select customer_id, min(created_at) as first_seen_at
    from {{ ref('stg_support__tickets') }}
    group by customer_id

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
