{#- Continuous percentile of a column (0.5 = median). Dispatched: DuckDB's quantile_cont,
    Spark's percentile (both interpolate linearly between ranks). Both on a double: DuckDB keeps a
    decimal's scale and cuts the interpolated value (the median of 17.18 and 17.19 becomes 17.18) where
    Spark returns the double 17.185, which money rounding takes half up. -#}
{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'lifecycle')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expression, fraction) -%}
    quantile_cont(cast({{ expression }} as double), {{ fraction }})
{%- endmacro %}

{% macro spark__percentile(expression, fraction) -%}
    percentile(cast({{ expression }} as double), {{ fraction }})
{%- endmacro %}

{#- Hours between two timestamps, from whole seconds, as a double; null when either is null. Dispatched
    rather than dbt.datediff: the engines count minutes differently (DuckDB counts minute boundaries
    crossed, dbt-spark rounds seconds up), and dbt-spark's datediff fails on a null (a ticket never
    answered). A double on both: Spark's decimal division would keep only 6 decimals of the hours, enough
    to move a percentile that lies exactly on a half hundredth (18.865 h) to the other side. -#}
{% macro hours_between(start_timestamp, end_timestamp) -%}
    {{ return(adapter.dispatch('hours_between', 'lifecycle')(start_timestamp, end_timestamp)) }}
{%- endmacro %}

{% macro default__hours_between(start_timestamp, end_timestamp) -%}
    (date_diff('second', {{ start_timestamp }}, {{ end_timestamp }}) / 3600.0)
{%- endmacro %}

{% macro spark__hours_between(start_timestamp, end_timestamp) -%}
    (cast(unix_timestamp({{ end_timestamp }}) - unix_timestamp({{ start_timestamp }}) as double) / 3600)
{%- endmacro %}
