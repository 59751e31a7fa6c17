with

source as (

    {{ latest_delivery(source('shop', 'orders'), ['order_id']) }}

),

renamed as (

    select
        -- ids
        order_id,
        customer_id,
        {{ hash_pii('customer_email') }} as customer_email_hash,

        -- strings
        lower(trim(status)) as order_status,
        upper(trim(currency)) as currency_code,
        lower(trim(channel)) as order_channel,

        -- numerics
        {{ to_money('amount') }} as order_amount,
        {{ to_money('cost') }} as order_cost,

        -- timestamps (UTC)
        ordered_at,

        -- load metadata
        _source_file as source_file,
        _loaded_at as loaded_at

    from source

)

select * from renamed
