{#- Rows of the newest delivery for each key (of the `candidates` rows, when given: the keys to stage
    again). A key repeated across files: the newest file wins. A key repeated inside one file is
    kept twice on purpose, so that the staging `unique` test fails on it instead of a row being
    dropped silently. Keys are never null (the ingest's row rules quarantine such rows).
    The newest delivery per key by aggregate and join, not a rank over a window: the window sorts
    every row, and a daily run's few keys would still pay for the sort. -#}
{% macro latest_delivery(relation, key_columns, candidates=none) -%}
    select delivered.*
    from {{ relation }} as delivered
    inner join (
        select {{ key_columns | join(', ') }}, max(_load_id) as newest_load_id
        from {{ candidates or relation }}
        group by {{ key_columns | join(', ') }}
    ) as newest
        on {% for key in key_columns %}newest.{{ key }} = delivered.{{ key }} and {% endfor -%}
            newest.newest_load_id = delivered._load_id
{%- endmacro %}

{#- The incremental models built from the big sources (the tickets' and responses' staging tables, the
    orders' conversion) take only the keys that can have changed since their last build: keys
    delivered since (a higher `_load_id` than the model's highest `load_id`), keys whose row came from
    a delivery that no longer exists (a re-delivered file replaced it, so an older delivery may win
    again), and the keys `also_stage` selects. A full build takes every key, exactly like
    `latest_delivery`. -#}
{% macro latest_delivery_incremental(relation, key_column, also_stage=none) -%}
    {%- if is_incremental() -%}
    {%- set candidates -%}
        (select * from {{ relation }} where {{ key_column }} in (
            select {{ key_column }} from {{ relation }}
            where _load_id > (select coalesce(max(built.load_id), 0) from {{ this }} as built)
            union all
            select {{ key_column }} from {{ this }}
            where load_id not in (select distinct _load_id from {{ relation }})
            {%- if also_stage %}
            union all
            {{ also_stage }}
            {%- endif %}
        ))
    {%- endset %}
    {{ latest_delivery(relation, [key_column], candidates=candidates) }}
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
