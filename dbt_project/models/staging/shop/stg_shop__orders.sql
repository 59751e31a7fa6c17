{#- Incremental: a daily run re-stages only the keys that can have changed (see latest_delivery.sql). -#}
{{ staged_incrementally('order_id', 'shop', 'orders') }}

with

source as (

    {{ latest_delivery_incremental(source('shop', 'orders'), 'order_id') }}

),

renamed as (

    select
        -- ids
        order_id,
        customer_id,

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
        _load_id as load_id,
        _loaded_at as loaded_at,
        -- when this row was staged: the watermark of the incremental models downstream
        {{ dbt.cast(dbt.current_timestamp(), "timestamp") }} as staged_at

    from source

)

select * from renamed
