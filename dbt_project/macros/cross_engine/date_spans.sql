{#- Whole days from one date to another; null when either is null (a customer without a previous or a
    completed order). Dispatched rather than dbt.datediff: dbt-spark's datediff wraps its arguments in
    assert_not_null, so a null fails the whole query on Spark instead of giving null. -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'lifecycle')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{#- DuckDB counts the days between dates (or timestamps) as they are: dbt's datediff casts both to
    timestamps first, which costs more than the subtraction on millions of rows. -#}
{% macro duckdb__days_between(start_date, end_date) -%}
    date_diff('day', {{ start_date }}, {{ end_date }})
{%- endmacro %}

{% macro spark__days_between(start_date, end_date) -%}
    datediff({{ end_date }}, {{ start_date }})
{%- endmacro %}

{#- The date `days` days after a date (before, for a negative number). dbt's dateadd goes through an
    interval and a timestamp on DuckDB; both engines add whole days to a date directly. -#}
{% macro days_after(date, days) -%}
    {{ return(adapter.dispatch('days_after', 'lifecycle')(date, days)) }}
{%- endmacro %}

{% macro default__days_after(date, days) -%}
    {{ dbt.cast(dbt.dateadd('day', days, date), 'date') }}
{%- endmacro %}

{% macro duckdb__days_after(date, days) -%}
    ({{ date }} + cast({{ days }} as integer))
{%- endmacro %}

{% macro spark__days_after(date, days) -%}
    date_add({{ date }}, {{ days }})
{%- endmacro %}
