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
    {{ return(is_incremental() and column in (adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list)) }}
{%- endmacro %}
