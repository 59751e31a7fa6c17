{#- A figure as text for an audience's reason, rounded half up to `digits` places, the same on every engine. -#}
{% macro figure_text(expression, digits=0) -%}
    {{ dbt.cast(dbt.cast(round_half_up(expression, digits), 'decimal(18, ' ~ digits ~ ')'), dbt.type_string()) }}
{%- endmacro %}

{#- Each person's latest change in each audience of a change log (`audience_membership_changes`): who is a
    member now (latest change 'entered'), since when, and who exited. -#}
{% macro latest_audience_changes(relation) -%}
    select audience, customer_id, change, member_since, as_of_date
    from (
        select
            run_id,
            audience,
            customer_id,
            change,
            member_since,
            as_of_date,
            row_number() over (partition by audience, customer_id order by run_started_at desc, run_id desc)
                as newest_first
        from {{ relation }}
    ) as changes
    where newest_first = 1
{%- endmacro %}

{#- The lifecycle audiences, in display order: each one's rule is model `int_audience_<name>`, and its
    definition, with the thresholds of this build, is what `audiences` publishes (and the pipeline shows on
    each audience's asset, through that mart's meta). -#}
{% macro lifecycle_audiences() -%}
    {{ return([
        {'name': 'win_back', 'definition':
            'Buyers in the most valuable or most growable value tier, or with a predicted 12-month CLV in the top '
            ~ (var('audience_win_back_top_clv_share') * 100) | round | int ~ '%, whose P(alive) is below '
            ~ var('audience_win_back_max_p_alive') ~ ' or who are at risk. Value at stake: predicted 12-month CLV.'},
        {'name': 'second_order_nudge', 'definition':
            'One-order buyers past their cohort\'s median days to a second order, at most '
            ~ var('audience_onboarding_days') ~ ' days after the first. Value at stake: predicted 12-month CLV.'},
        {'name': 'service_recovery', 'definition':
            'Buyers with a positive customer value who gave a detractor answer or opened a ticket answered later '
            ~ 'than ' ~ var('support_sla_hours') ~ ' hours (or not yet) in the last ' ~ var('audience_recent_days')
            ~ ' days. Value at stake: customer value.'},
        {'name': 'advocates', 'definition':
            'Promoters (latest NPS answer 9-10) with two or more completed orders and no open ticket: ask for '
            ~ 'referrals and reviews. Value at stake: predicted 12-month CLV.'},
        {'name': 'below_zero_review', 'definition':
            'Buyers whose cost to serve and acquisition exceed their historical and predicted margin: review '
            ~ 'their service model. Value at stake: the shortfall.'},
        {'name': 'prospects_to_convert', 'definition':
            'Prospects (no completed order) who gave a positive survey answer or had a ticket resolved. '
            ~ 'Value at stake: none yet.'},
    ]) }}
{%- endmacro %}
