with

source as (

    select * from {{ source('clv', 'clv_predictions') }}

),

renamed as (

    select
        -- ids
        customer_id,

        -- predictions
        expected_purchases_12m,
        p_alive,
        expected_avg_spend,
        predicted_clv_12m,
        purchase_model

    from source

)

select * from renamed
