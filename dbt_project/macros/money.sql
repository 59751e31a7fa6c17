{#- Money in whole cents, as an exact decimal, so sums are exact on every engine. -#}
{% macro to_money(expression) -%}
    {{ dbt.cast('round(' ~ expression ~ ', 2)', 'decimal(18, 2)') }}
{%- endmacro %}
