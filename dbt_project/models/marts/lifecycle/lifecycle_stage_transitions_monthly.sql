{#- Where people went between two month ends: per month, how many moved from one lifecycle stage at
    the end of the month before to another at the end of this one ('first seen' for people who
    appeared during the month). People whose stage stayed are not counted here; the stock per stage
    is in `lifecycle_stages_monthly`. -#}
select
    {{ dbt.cast('stage_month', 'date') }} as transition_month,
    {{ dbt.cast("coalesce(previous_stage, 'first seen')", dbt.type_string()) }} as from_stage,
    {{ dbt.cast('lifecycle_stage', dbt.type_string()) }} as to_stage,
    {{ dbt.cast('count(*)', 'bigint') }} as customers
from {{ ref('int_customer_stage_history') }}
where previous_stage is null or previous_stage <> lifecycle_stage
group by stage_month, coalesce(previous_stage, 'first seen'), lifecycle_stage
