with

source as (

    {{ latest_delivery(source('marketing', 'spend'), ['spend_date', 'channel']) }}

),

renamed as (

    select
        -- ids
        spend_date,
        lower(trim(channel)) as marketing_channel,

        -- strings
        upper(trim(currency)) as currency_code,

        -- numerics
        {{ to_money('spend') }} as spend_amount,

        -- load metadata
        _source_file as source_file,
        _loaded_at as loaded_at

    from source

)

select * from renamed
