with

source as (

    {{ latest_delivery(source('finance', 'fx_rates'), ['rate_date', 'currency']) }}

),

renamed as (

    select
        -- ids
        rate_date,
        upper(trim(currency)) as currency_code,

        -- numerics
        rate_to_reporting,

        -- load metadata
        _source_file as source_file,
        _loaded_at as loaded_at

    from source

)

select * from renamed
