with

source as (

    {{ latest_delivery(source('support', 'tickets'), ['ticket_id']) }}

),

renamed as (

    select
        -- ids
        ticket_id,
        customer_id,

        -- strings
        lower(trim(status)) as ticket_status,
        lower(trim(channel)) as ticket_channel,
        lower(trim(priority)) as ticket_priority,

        -- numerics
        csat_score,

        -- timestamps (UTC)
        created_at,
        first_response_at,
        resolved_at,

        -- load metadata
        _source_file as source_file,
        _loaded_at as loaded_at

    from source

)

select * from renamed
