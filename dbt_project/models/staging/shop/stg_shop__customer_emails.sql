with

source as (

    {{ latest_delivery(source('shop', 'orders'), ['order_id']) }}

),

renamed as (

    select distinct
        -- ids
        customer_id,
        {{ hash_pii('customer_email') }} as customer_email_hash

    from source
    where customer_email is not null

)

select * from renamed
