with

source as (

    {{ latest_delivery(source('surveys', 'responses'), ['response_id']) }}

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
        _loaded_at as loaded_at

    from source

)

select * from renamed
