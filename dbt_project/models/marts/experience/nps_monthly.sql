{#- NPS and CSAT per response month, apart for buyers and for prospects (respondents with no completed
    order), so a BI user can keep to customers or add both up. -#}
select
    {{ month_start(to_reporting_time('responses.responded_at')) }} as response_month,
    {{ dbt.cast('acquired.customer_id is not null', 'boolean') }} as is_buyer,
    {{ survey_aggregates('responses.survey_type', 'responses.score') }}
from {{ ref('stg_surveys__responses') }} as responses
left join {{ ref('int_customers_acquired') }} as acquired
    on acquired.customer_id = responses.customer_id
group by 1, 2
