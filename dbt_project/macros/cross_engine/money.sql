{#- Rounding that gives the same answer on every engine: round() of a double rounds its binary value,
    so a true x.xx5 can go either way and engines disagree (69.585 as a double is 69.58499…: DuckDB
    gives 69.58, Spark, which rounds the shortest decimal form, 69.59). An exact decimal rounds half
    away from zero everywhere. -#}
{% macro round_half_up(expression, digits) -%}
    {{ return(adapter.dispatch('round_half_up', 'lifecycle')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_half_up(expression, digits) -%}
    round({{ dbt.cast(expression, 'decimal(38, 9)') }}, {{ digits }})
{%- endmacro %}

{#- DuckDB rounds a decimal(38, …) (a 128-bit integer) an order of magnitude slower than a decimal(18, …)
    (64-bit), and every money column of every order is rounded. Values
    under 10^8 in magnitude (all but a few sums) take the 64-bit path; the result is the same exact
    decimal rounding either way. -#}
{% macro duckdb__round_half_up(expression, digits) -%}
    case
        when abs({{ expression }}) < 1e8 then round({{ dbt.cast(expression, 'decimal(18, 9)') }}, {{ digits }})
        else round({{ dbt.cast(expression, 'decimal(38, 9)') }}, {{ digits }})
    end
{%- endmacro %}

{#- Money in whole cents, as an exact decimal, so sums are exact on every engine. -#}
{% macro to_money(expression) -%}
    {{ dbt.cast(round_half_up(expression, 2), 'decimal(18, 2)') }}
{%- endmacro %}
