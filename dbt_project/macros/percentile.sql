{#- Continuous percentile of a column (0.5 = median). Dispatched: DuckDB's quantile_cont,
    Spark's percentile (both interpolate linearly between ranks). -#}
{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'lifecycle')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__percentile(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{#- Hours between two timestamps, with minute precision. -#}
{% macro hours_between(start_timestamp, end_timestamp) -%}
    ({{ dbt.datediff(start_timestamp, end_timestamp, 'minute') }} / 60.0)
{%- endmacro %}
