{#- Rounding that gives the same answer on every engine: round() of a double rounds its binary value,
    so a true x.xx5 can go either way and engines disagree (69.585 as a double is 69.58499…: DuckDB
    gives 69.58, Spark, which rounds the shortest decimal form, 69.59). An exact decimal rounds half
    away from zero everywhere. -#}
{% macro round_half_up(expression, digits) -%}
    round({{ dbt.cast(expression, 'decimal(38, 9)') }}, {{ digits }})
{%- endmacro %}

{#- Money in whole cents, as an exact decimal, so sums are exact on every engine. -#}
{% macro to_money(expression) -%}
    {{ dbt.cast(round_half_up(expression, 2), 'decimal(18, 2)') }}
{%- endmacro %}
