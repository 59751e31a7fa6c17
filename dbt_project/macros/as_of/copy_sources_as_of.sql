{#- A build as of a past date starts from the working warehouse's raw sources without the events after
    that date: a row is kept when its event (the source's `event_column`, from the contract) falls on or
    before var `as_of` in the reporting time zone, reckoned by `to_reporting_time` as every model reckons
    days. Run in the past date's fresh warehouse (DuckDB only), as the pipeline does:
    `dbt run-operation copy_sources_as_of --args '{working: <working warehouse>}' --vars '{as_of: …, warehouse: …}'`.
    A source the working warehouse lacks (never delivered) stays absent, as it is there. -#}
{% macro copy_sources_as_of(working) %}
    {%- do run_query("attach '" ~ working ~ "' as working (read_only)") -%}
    {%- set present = run_query(
        "select schema_name || '.' || table_name from duckdb_tables() where database_name = 'working'"
    ).columns[0].values() -%}
    {%- for source in graph.sources.values() if source.package_name == project_name and source.meta.event_column -%}
        {%- set relation = source.schema ~ '.' ~ source.identifier -%}
        {%- if relation in present -%}
            {%- set column = source.meta.event_column -%}
            {%- set is_time = source.columns[column].data_type == 'timestamp' -%}
            {%- set event_day = dbt.cast(to_reporting_time(column) if is_time else column, 'date') -%}
            {%- do run_query('create schema if not exists ' ~ source.schema) -%}
            {%- do run_query(
                'create or replace table ' ~ relation ~ ' as select * from working.' ~ relation
                ~ ' where ' ~ event_day ~ " <= cast('" ~ var('as_of') ~ "' as date)"
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do run_query('detach working') -%}
{% endmacro %}
