{#- The columns of a staged order, from raw order rows: the `stg_shop__orders` view, and the orders
    `int_orders_converted` stages again itself in a daily run (from the raw rows of the keys it
    converts again: the view would evaluate every delivery of every order, DuckDB does not push a
    key filter into it). -#}
{% macro staged_order_columns() -%}
        -- ids
        order_id,
        customer_id,

        -- strings
        lower(trim(status)) as order_status,
        upper(trim(currency)) as currency_code,
        lower(trim(channel)) as order_channel,

        -- numerics
        {{ to_money('amount') }} as order_amount,
        {{ to_money('cost') }} as order_cost,

        -- timestamps (UTC)
        ordered_at,

        -- load metadata
        _source_file as source_file,
        _load_id as load_id,
        _loaded_at as loaded_at
{%- endmacro %}
