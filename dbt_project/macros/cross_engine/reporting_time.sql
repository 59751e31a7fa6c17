{#- A UTC timestamp as wall-clock time in the reporting time zone (var `reporting_timezone`),
    so that days and months begin where the business says. Dispatched: DuckDB converts through
    TIMESTAMPTZ, Spark has from_utc_timestamp. -#}
{% macro to_reporting_time(timestamp_utc) -%}
    {%- if var('reporting_timezone') | upper == 'UTC' -%}
        {{ timestamp_utc }}
    {%- else -%}
        {{ return(adapter.dispatch('to_reporting_time', 'lifecycle')(timestamp_utc)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__to_reporting_time(timestamp_utc) -%}
    (({{ timestamp_utc }}) at time zone 'UTC') at time zone '{{ var("reporting_timezone") }}'
{%- endmacro %}

{% macro spark__to_reporting_time(timestamp_utc) -%}
    from_utc_timestamp({{ timestamp_utc }}, '{{ var("reporting_timezone") }}')
{%- endmacro %}

{#- First day of the month of a timestamp or date, as a date. -#}
{% macro month_start(expression) -%}
    {{ dbt.cast(dbt.date_trunc('month', expression), 'date') }}
{%- endmacro %}
