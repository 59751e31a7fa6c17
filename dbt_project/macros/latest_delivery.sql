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

{#- The big sources' staging tables are incremental: a daily run re-stages only the keys that can
    have changed since the last build — keys delivered since (a higher `_load_id`), and keys whose
    staged row came from a delivery that no longer exists (a re-delivered file replaced it, so an
    older delivery may win again). A full build stages every key, exactly like `latest_delivery`. -#}
{% macro latest_delivery_incremental(relation, key_column) -%}
    {%- if is_incremental() -%}
    {{ latest_delivery(
        '(select * from ' ~ relation ~ ' where ' ~ key_column ~ ' in ('
        ~ 'select ' ~ key_column ~ ' from ' ~ relation
        ~ ' where _load_id > (select coalesce(max(built.load_id), 0) from ' ~ this ~ ' as built)'
        ~ ' union all select ' ~ key_column ~ ' from ' ~ this
        ~ ' where load_id not in (select distinct _load_id from ' ~ relation ~ ')))',
        [key_column]) }}
    {%- else -%}
    {{ latest_delivery(relation, [key_column]) }}
    {%- endif -%}
{%- endmacro %}

{#- Config of an incremental staging table (where the engine supports it, see incremental.sql): rows of
    re-staged keys are replaced, and rows whose delivery has gone and whose key has no other delivery
    are removed afterwards. -#}
{% macro staged_incrementally(key_column, source_name, table_name) -%}
    {#- The hook is rendered when it runs (relations are not resolved yet while configs are parsed). -#}
    {{ incremental_where_supported(
        key_column,
        "delete from {{ this }} where load_id not in (select distinct _load_id from {{ source('"
            ~ source_name ~ "', '" ~ table_name ~ "') }})"
    ) }}
{%- endmacro %}
