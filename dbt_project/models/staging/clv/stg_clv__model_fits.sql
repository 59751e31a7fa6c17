with

source as (

    select * from {{ source('clv', 'clv_model_fits') }}

),

renamed as (

    select
        -- ids
        model,
        parameter,

        -- numerics
        value,
        time_unit,
        customers,
        log_likelihood,
        converged,

        -- timestamps
        fitted_at,
        as_of_date

    from source

)

select * from renamed
