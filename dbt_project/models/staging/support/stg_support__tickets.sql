{#- Incremental: a daily run re-stages only the keys that can have changed (see latest_delivery.sql). -#}
{{ staged_incrementally('ticket_id', 'support', 'tickets') }}

with

source as (

    {{ latest_delivery_incremental(source('support', 'tickets'), 'ticket_id') }}

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
        _load_id as load_id,
        _loaded_at as loaded_at,
        -- when this row was staged: the watermark of the incremental models downstream
        {{ dbt.cast(dbt.current_timestamp(), "timestamp") }} as staged_at

    from source

)

select * from renamed
