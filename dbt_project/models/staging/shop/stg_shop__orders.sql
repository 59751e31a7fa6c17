{#- A view (the staging default): the first table built from the orders is their conversion
    (`int_orders_converted`, incremental), which reads this view in a full build; a staging table of its
    own would write every order a second time. Its rows are tested there, where they are
    materialised. Columns: `staged_order_columns`. -#}

with

source as (

    {{ latest_delivery(source('shop', 'orders'), ['order_id']) }}

),

renamed as (

    select
        {{ staged_order_columns() }}
    from source

)

select * from renamed
