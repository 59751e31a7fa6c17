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

{#- The stage judged on `judged_on` from the keys the stage history carries: `purchase_key`, the latest
    purchase day as days since 1970 × 10^5 + the gap before it + 1 (0 for none); `answer_key`, the
    latest NPS answer day as days since 1970 × 100 + the score; `first_purchase_day`. -#}
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
