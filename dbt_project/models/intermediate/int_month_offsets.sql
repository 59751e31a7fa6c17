{#- Month offsets 0..599: the spine that keeps cohort curves from skipping empty months.
    Ephemeral: a constant needs no table, and as a model with no upstream it made Dagster
    run it in a dbt invocation of its own, paying a whole dbt start-up for a constant. -#}
{{ config(materialized='ephemeral') }}

with numbers as (

    {{ dbt.generate_series(600) }}

)

select {{ dbt.cast('generated_number - 1', 'integer') }} as month_offset
from numbers
