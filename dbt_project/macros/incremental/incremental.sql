{#- Config of a model built incrementally where the engine can replace rows in place: delete+insert on
    DuckDB, with `post_hook` removing rows whose source is gone. On Spark the model is rebuilt whole:
    dbt-spark replaces rows only in Delta, Iceberg or Hudi tables (merge), whose jars cannot be
    downloaded here, and its Parquet tables support only append and partition overwrite. -#}
{% macro incremental_where_supported(unique_key, post_hook) -%}
    {%- if target.type == 'spark' -%}
        {{ config(materialized='table') }}
    {%- else -%}
        {{ config(
            materialized='incremental',
            unique_key=unique_key,
            incremental_strategy='delete+insert',
            on_schema_change='fail',
            post_hook=post_hook
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- The latest build-time stamp `column` of the incremental model being built, as a scalar subquery:
    rows stamped or loaded after it are new. Qualified, because in a table built before the column
    existed an unqualified name would bind to the outer query; an empty table (a first build without
    rows) has no stamp, so everything is new. -#}
{% macro built_watermark(column) -%}
    (select coalesce(max(built.{{ column }}), {{ dbt.cast("'1900-01-01'", 'timestamp') }}) from {{ this }} as built)
{%- endmacro %}

{#- `is_incremental()`, and the built table has `column`, which the incremental query reads: a table built by
    an older version without it gets the full-build query, so that dbt's `on_schema_change` check stops the
    run with its own advice (rebuild with full refresh) instead of a binder error on the missing column. -#}
{% macro is_incremental_with(column) -%}
    {%- if not is_incremental() %}{{ return(false) }}{% endif %}
    {%- set built_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list %}
    {{ return(column in built_columns) }}
{%- endmacro %}

{#- The people a per-person summary (an incremental model keyed on customer_id with a
    `summarised_at` stamp) must summarise again: those with a row of `relation` stamped (`stamp`)
    since the summary's last build, and those whose number of rows in it differs from the summary's
    `count_column` (a row that left). -#}
{% macro people_to_summarise_again(relation, stamp, count_column) -%}
    select customer_id
    from {{ relation }}
    where {{ stamp }} > {{ built_watermark('summarised_at') }}

    union

    select built.customer_id
    from {{ this }} as built
    left join (
        select customer_id, count(*) as rows_now
        from {{ relation }}
        group by customer_id
    ) as current_rows on current_rows.customer_id = built.customer_id
    where current_rows.rows_now is distinct from built.{{ count_column }}
{%- endmacro %}

{#- The customers whose orders changed since the last build of the incremental model being built
    (its build-time stamp `column`). The order summaries, built earlier in every run, summarise
    again everyone with an order converted since their own last build or with an order fewer, so a
    summary stamped after `column` marks every such customer; the converted orders need no scan. -#}
{% macro customers_with_changed_orders(column) -%}
    select customer_id
    from {{ ref('int_customer_order_summaries') }}
    where summarised_at > {{ built_watermark(column) }}
{%- endmacro %}
