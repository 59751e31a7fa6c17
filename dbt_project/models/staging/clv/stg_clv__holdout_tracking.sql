with

source as (

    select * from {{ source('clv', 'clv_holdout_tracking') }}

),

renamed as (

    select
        -- ids
        week,

        -- numerics
        actual_cumulative,
        predicted_cumulative,
        holdout,

        -- timestamps
        period_end

    from source

)

select * from renamed
