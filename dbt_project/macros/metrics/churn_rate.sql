{#- Monthly customer churn, defined once: last month's active customers with no completed order this
    month, over last month's active customers, rounded to 4 places; null when nobody was active last
    month. `growth_accounting_monthly` publishes it; everything else reads that mart. -#}
{% macro customer_churn_rate(churned_customers, active_customers_last_month) -%}
    {{ dbt.cast(round_half_up(
        '1.0 * ' ~ churned_customers ~ ' / nullif(' ~ active_customers_last_month ~ ', 0)', 4), 'double') }}
{%- endmacro %}
