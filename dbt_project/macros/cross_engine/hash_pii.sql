{#- A one-way hash so that no raw personal data passes staging. Dispatched: the SHA-256
    function is called sha256() in DuckDB and sha2(x, 256) in Spark. -#}
{% macro hash_pii(expression) -%}
    {{ return(adapter.dispatch('hash_pii', 'lifecycle')(expression)) }}
{%- endmacro %}

{% macro default__hash_pii(expression) -%}
    sha256(lower(trim({{ expression }})))
{%- endmacro %}

{% macro spark__hash_pii(expression) -%}
    sha2(lower(trim({{ expression }})), 256)
{%- endmacro %}
