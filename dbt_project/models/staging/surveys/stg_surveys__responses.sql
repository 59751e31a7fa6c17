{#- Incremental: a daily run re-stages only the keys that can have changed (see latest_delivery.sql). -#}
{{ staged_incrementally('response_id', 'surveys', 'responses') }}

with

source as (

    {{ latest_delivery_incremental(source('surveys', 'responses'), 'response_id') }}

),

renamed as (

    select
        -- ids
        response_id,
        customer_id,

        -- strings
        lower(trim(survey_type)) as survey_type,
        comment as response_comment,

        -- numerics
        score,

        -- timestamps (UTC)
        responded_at,

        -- load metadata
        _source_file as source_file,
        _load_id as load_id,
        _loaded_at as loaded_at,
        -- when this row was staged: the watermark of the incremental models downstream
        {{ dbt.cast(dbt.current_timestamp(), "timestamp") }} as staged_at

    from source

)

select * from renamed
