with

orders as (

    {{ latest_delivery(source('shop', 'orders'), ['order_id']) }}

)

select distinct
    customer_id,
    {{ hash_pii('customer_email') }} as customer_email_hash
from orders
where customer_email is not null
