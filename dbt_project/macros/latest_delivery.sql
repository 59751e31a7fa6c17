{#- Rows of the newest delivery for each key. A key repeated across files: the newest file
    wins. A key repeated inside one file is kept twice on purpose, so that the staging
    `unique` test fails on it instead of a row being dropped silently. -#}
{% macro latest_delivery(relation, key_columns) -%}
    select * from (
        select
            *,
            dense_rank() over (
                partition by {{ key_columns | join(', ') }}
                order by _load_id desc
            ) as delivery_rank
        from {{ relation }}
    ) as ranked
    where delivery_rank = 1
{%- endmacro %}
