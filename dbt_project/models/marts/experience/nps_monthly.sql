select
    {{ month_start(to_reporting_time('responded_at')) }} as response_month,
    {{ survey_aggregates() }}
from {{ ref('stg_surveys__responses') }}
group by 1
