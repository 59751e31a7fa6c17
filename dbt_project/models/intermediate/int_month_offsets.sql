{#- Month offsets 0..599: the spine that keeps cohort curves from skipping empty months. -#}
with numbers as (

    {{ dbt.generate_series(600) }}

)

select {{ dbt.cast('generated_number - 1', 'integer') }} as month_offset
from numbers
