{#- Each respondent's latest NPS answer (the latest response id breaks a tie) and its category. -#}
with

ranked as (

    select
        customer_id,
        score,
        row_number() over (partition by customer_id order by responded_at desc, response_id desc) as recency_rank
    from {{ ref('stg_surveys__responses') }}
    where survey_type = 'nps'

)

select
    customer_id,
    score as latest_nps_score,
    case when score is not null then {{ nps_category('score') }} end as latest_nps_category
from ranked
where recency_rank = 1
