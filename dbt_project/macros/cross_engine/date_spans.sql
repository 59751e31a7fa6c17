{#- Whole days from one date to another; null when either is null (a customer without a previous or a
    completed order). Dispatched rather than dbt.datediff: dbt-spark's datediff wraps its arguments in
    assert_not_null, so a null fails the whole query on Spark instead of giving null. -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'lifecycle')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{% macro spark__days_between(start_date, end_date) -%}
    datediff({{ end_date }}, {{ start_date }})
{%- endmacro %}
