{#- Run at the start of every dbt invocation (on-run-start): make the sources readable by the engine.
    DuckDB: nothing to do, the ingest step writes the raw tables into the warehouse itself.
    Spark: declare an external Parquet table over each source's lake folder (`var('lake_dir')`, the lake as
    the Spark servers see it), with the schema the sources' YAML declares (a folder may still be empty), where
    the metastore has none or has it over another folder; then bring its load-date partitions in step with
    the folders. The metastore outlives the servers, so a table is declared once, not on every invocation.
    The table is metadata only: dropping it leaves the files, which the ingest step (raw sources) and the
    CLV step (clv sources) own. -#}
{% macro create_lake_tables() -%}
    {{ return(adapter.dispatch('create_lake_tables', 'lifecycle')()) }}
{%- endmacro %}

{% macro default__create_lake_tables() -%}
{%- endmacro %}

{% macro spark__create_lake_tables() -%}
    {%- if execute -%}
    {%- set lake = var('lake_dir') -%}
    {%- for source in graph.sources.values() if source.package_name == project_name -%}
        {#- The CLV step writes its outputs to <lake>/clv/<table>; ingest writes raw/<schema>/<table>. -#}
        {%- set folder = 'clv/' ~ source.name if source.source_name == 'clv'
            else 'raw/' ~ source.schema ~ '/' ~ source.name -%}
        {%- set location = lake ~ '/' ~ folder -%}
        {%- set columns = [] -%}
        {%- for column in source.columns.values() -%}
            {%- do columns.append(column.name ~ ' ' ~ column.data_type) -%}
        {%- endfor -%}
        {%- set partitioned = 'load_date' in source.columns -%}
        {%- set relation = source.schema ~ '.' ~ source.identifier -%}
        {%- do run_query('create database if not exists ' ~ source.schema) -%}
        {%- if lake_table_location(source.schema, source.identifier) != lake_location_key(location) -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query(
                'create table ' ~ relation ~ ' (' ~ columns | join(', ') ~ ') using parquet'
                ~ (' partitioned by (load_date)' if partitioned else '')
                ~ " location '" ~ location ~ "'") -%}
        {%- endif -%}
        {%- if partitioned -%}
            {#- `sync`: a partition whose folder is gone (a replaced delivery) goes too. -#}
            {%- do run_query('msck repair table ' ~ relation ~ ' sync partitions') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- Where the metastore has table `schema.identifier`, as `lake_location_key` writes it; none when it has no such table. -#}
{% macro lake_table_location(schema, identifier) -%}
    {%- set found = run_query("show tables in " ~ schema ~ " like '" ~ identifier ~ "'") -%}
    {%- if found | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for row in run_query('describe formatted ' ~ schema ~ '.' ~ identifier) if row[0] == 'Location' -%}
        {{ return(lake_location_key(row[1])) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#- A location as compared: the metastore writes a local path as `file:/path`. -#}
{% macro lake_location_key(location) -%}
    {{ return(location | replace('file://', '') | replace('file:', '') | trim('/')) }}
{%- endmacro %}
