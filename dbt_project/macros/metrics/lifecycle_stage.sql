{#- The lifecycle stage, defined once: the customers mart applies it as of the as-of date, the stage
    history at every month end. First match, in this order:
    prospect     no completed order (yet);
    churned      no completed order in the last `churn_days` days;
    new          the first completed order at most `new_customer_days` days ago;
    reactivated  the latest completed order ended a gap of more than `churn_days` days;
    at risk      no completed order in the last `at_risk_days` days;
    advocate     the latest NPS answer is a promoter's (9-10);
    active       everyone else. -#}
{% macro lifecycle_stage(completed_orders, days_since_last_order, tenure_days, last_gap_days, latest_nps_score) -%}
    case
        when {{ completed_orders }} = 0 then 'prospect'
        when {{ is_churned(days_since_last_order) }} then 'churned'
        when {{ tenure_days }} <= {{ var('new_customer_days') }} then 'new'
        when {{ last_gap_days }} > {{ var('churn_days') }} then 'reactivated'
        when {{ days_since_last_order }} > {{ var('at_risk_days') }} then 'at risk'
        when {{ is_promoter(latest_nps_score) }} then 'advocate'
        else 'active'
    end
{%- endmacro %}

{#- Churned: no completed order within `churn_days` days before the day it is judged (none at all counts). -#}
{% macro is_churned(days_since_last_order) -%}
    coalesce({{ days_since_last_order }} > {{ var('churn_days') }}, true)
{%- endmacro %}

{#- The stage history's keys. It carries each person's latest purchase (with the gap before it) and
    latest NPS answer from month to month as a running maximum of one number each: a running max
    streams, where a range join or a running last-value holds every person's events at once. So a key
    puts the day in its high digits (the later, the larger) and what the stage needs in its low ones.
    Purchase key: days since 1970 × 10^5 + the gap before the purchase + 1 (0 for the first). -#}
{% macro pack_purchase_key(purchase_day, gap_days) -%}
    {{ days_between("cast('1970-01-01' as date)", purchase_day) }} * 100000 + coalesce({{ gap_days }} + 1, 0)
{%- endmacro %}

{#- Answer key: days since 1970 × 100 + the NPS score. -#}
{% macro pack_answer_key(answer_day, score) -%}
    {{ days_between("cast('1970-01-01' as date)", answer_day) }} * 100 + {{ score }}
{%- endmacro %}

{#- The stage judged on `judged_on` from the latest `purchase_key` and `answer_key` and the
    `first_purchase_day`, unpacked. -#}
{% macro lifecycle_stage_from_keys(purchase_key, answer_key, first_purchase_day, judged_on) -%}
    {#- Whole days as integers: the judgement day's number less the purchase day's. -#}
    {%- set days_since_last_purchase = days_between("cast('1970-01-01' as date)", judged_on)
        ~ ' - cast(floor(' ~ purchase_key ~ ' / 100000) as integer)' %}
    {{- lifecycle_stage(
        'case when ' ~ purchase_key ~ ' is null then 0 else 1 end',
        days_since_last_purchase,
        days_between(first_purchase_day, judged_on),
        'nullif(' ~ purchase_key ~ ' % 100000, 0) - 1',
        answer_key ~ ' % 100'
    ) }}
{%- endmacro %}
