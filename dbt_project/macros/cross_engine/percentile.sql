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
