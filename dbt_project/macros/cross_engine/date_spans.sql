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

{#- The last non-null value of `expression` over the window `frame` (the rows up to the current one).
    Dispatched: DuckDB writes IGNORE NULLS inside the call, Spark as last()'s second argument. -#}
{% macro last_non_null(expression, frame) -%}
    {{ return(adapter.dispatch('last_non_null', 'lifecycle')(expression, frame)) }}
{%- endmacro %}

{% macro default__last_non_null(expression, frame) -%}
    last_value({{ expression }} ignore nulls) over ({{ frame }})
{%- endmacro %}

{% macro spark__last_non_null(expression, frame) -%}
    last({{ expression }}, true) over ({{ frame }})
{%- endmacro %}
