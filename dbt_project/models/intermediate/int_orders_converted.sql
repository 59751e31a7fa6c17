{#- Orders in the reporting currency, with their revenue and margin contributions.
    - gross revenue: completed and refunded orders; refunds: refunded orders;
      net revenue = gross revenue − refunds (that is, completed orders).
    - margin = amount − cost; where cost is unknown, amount × `default_margin_rate` (flagged).
      Net margin counts completed orders only (a refund gives the margin back).
    - an order in a currency without a usable rate keeps its place in counts and retention,
      but its money columns are null and `has_fx_rate` is false.
    Incremental: a daily run converts again only the orders whose key was delivered since the last
    build (a higher `_load_id`), the orders converted from a delivery that has since been replaced (an
    older delivery may win again), and every order on or after the earliest day of FX rates loaded
    since the last build (a late rate changes the conversion of the days it covers); it stages those
    orders itself, from their raw rows (`latest_delivery_incremental`, `staged_order_columns`), as
    the staging view would evaluate every delivery of every order. Orders that left the raw table
    are removed afterwards. -#}
{{ incremental_where_supported(
    'order_id',
    "delete from {{ this }} where order_id not in (select order_id from {{ source('shop', 'orders') }})"
) }}

-- depends_on: {{ ref('stg_finance__fx_rates') }}

with

staged_orders as (

    {% if is_incremental_with('load_id') -%}
    {#- The FX lookback: orders on or after the earliest day of the rates loaded since the last build. -#}
    {%- set orders_of_late_rate_days -%}
        select order_id from {{ source('shop', 'orders') }}
        where {{ dbt.cast(to_reporting_time('ordered_at'), 'date') }} >= (
            select min(rate_date) from {{ ref('stg_finance__fx_rates') }}
            where loaded_at > {{ built_watermark('converted_at') }}
        )
    {%- endset %}
    select {{ staged_order_columns() }}
    from (
        {{ latest_delivery_incremental(source('shop', 'orders'), 'order_id', also_stage=orders_of_late_rate_days) }}
    ) as delivered
    {%- else -%}
    select * from {{ ref('stg_shop__orders') }}
    {%- endif %}

),

orders as (

    select
        *,
        {{ to_reporting_time('ordered_at') }} as ordered_at_local
    from staged_orders

),

with_rates as (

    select
        orders.*,
        case
            when orders.currency_code = '{{ var("reporting_currency") }}' then 1.0
            else rates.rate_to_reporting
        end as fx_rate
    from orders
    left join {{ ref('int_fx_rates_resolved') }} as rates
        on rates.currency_code = orders.currency_code
        and rates.rate_day = {{ dbt.cast('orders.ordered_at_local', 'date') }}

),

converted as (

    select
        order_id,
        customer_id,
        load_id,
        -- when this row was converted (this build): the watermark of the customer summaries
        {{ dbt.cast(dbt.current_timestamp(), "timestamp") }} as converted_at,
        order_status,
        order_channel,
        currency_code,
        ordered_at,
        {{ dbt.cast('ordered_at_local', 'date') }} as order_date,
        {{ month_start('ordered_at_local') }} as order_month,
        fx_rate is not null as has_fx_rate,
        order_cost is null as margin_is_estimated,
        {{ to_money('order_amount * fx_rate') }} as amount,
        {{ to_money('order_cost * fx_rate') }} as cost
    from with_rates

),

contributions as (

    select
        *,
        case
            when cost is not null then amount - cost
            else {{ to_money('amount * ' ~ var('default_margin_rate')) }}
        end as margin
    from converted

)

select
    *,
    order_status = 'completed' as is_completed,
    case when order_status in ('completed', 'refunded') then amount else 0 end as gross_revenue,
    case when order_status = 'refunded' then amount else 0 end as refund_amount,
    case when order_status = 'completed' then amount else 0 end as net_revenue,
    case when order_status = 'completed' then margin else 0 end as net_margin
from contributions
