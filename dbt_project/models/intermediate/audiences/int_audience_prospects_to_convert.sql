{#- prospects_to_convert: prospects (no completed order; a cancelled or refunded one does not count) who
    gave a positive survey answer (an NPS promoter's 9-10 or a satisfied CSAT 4-5) or had a ticket resolved.
    No value at stake yet: zero. -#}
with

positive_answers as (

    select customer_id, count(*) as positive_answers
    from {{ ref('stg_surveys__responses') }}
    where (survey_type = 'nps' and {{ is_promoter('score') }})
        or (survey_type = 'csat' and {{ is_satisfied('score') }})
    group by customer_id

),

resolved_tickets as (

    select customer_id, count(*) as resolved_tickets
    from {{ ref('stg_support__tickets') }}
    where resolved_at is not null and ticket_status in ('solved', 'closed')
    group by customer_id

),

prospects as (

    select
        customers.customer_id,
        coalesce(positive_answers.positive_answers, 0) as positive_answers,
        coalesce(resolved_tickets.resolved_tickets, 0) as resolved_tickets
    from {{ ref('customers') }} as customers
    left join positive_answers on positive_answers.customer_id = customers.customer_id
    left join resolved_tickets on resolved_tickets.customer_id = customers.customer_id
    where customers.completed_orders = 0

)

select
    customer_id,
    'prospects_to_convert' as audience,
    case
        when positive_answers > 0 and resolved_tickets > 0 then 'positive survey answer and resolved ticket'
        when positive_answers > 0 then 'positive survey answer'
        else 'resolved ticket'
    end || ', no completed order yet' as reason,
    {{ to_money('0') }} as value_at_stake
from prospects
where positive_answers > 0 or resolved_tickets > 0
