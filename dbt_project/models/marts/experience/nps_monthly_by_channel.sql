select
    {{ month_start(to_reporting_time('responses.responded_at')) }} as response_month,
    {{ dbt.cast("coalesce(acquired.acquisition_channel, 'unknown')", dbt.type_string()) }} as acquisition_channel,
    {{ survey_aggregates('responses.survey_type', 'responses.score') }}
from {{ ref('stg_surveys__responses') }} as responses
left join {{ ref('int_customers_acquired') }} as acquired
    on acquired.customer_id = responses.customer_id
group by 1, 2
