{#- Run at the start of every dbt invocation (on-run-start): make the sources readable by the engine.
    DuckDB: nothing to do, the ingest step writes the raw tables into the warehouse itself.
    Spark: (re)create an external Parquet table over each source's lake folder, with the schema the
    sources' YAML declares (a folder may still be empty), and register its load-date partitions. The
    table is metadata only: dropping it leaves the files, which the ingest step (raw sources) and the
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
        {%- set columns = [] -%}
        {%- for column in source.columns.values() -%}
            {%- do columns.append(column.name ~ ' ' ~ column.data_type) -%}
        {%- endfor -%}
        {%- set partitioned = 'load_date' in source.columns -%}
        {%- set relation = source.schema ~ '.' ~ source.identifier -%}
        {%- do run_query('create database if not exists ' ~ source.schema) -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- do run_query(
            'create table ' ~ relation ~ ' (' ~ columns | join(', ') ~ ') using parquet'
            ~ (' partitioned by (load_date)' if partitioned else '')
            ~ " location '" ~ lake ~ '/' ~ folder ~ "'") -%}
        {%- if partitioned -%}
            {%- do run_query('msck repair table ' ~ relation) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
