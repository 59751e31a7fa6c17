{#- NPS and CSAT, defined once: every model that publishes either calls these macros.
    NPS = 100 × (promoters − detractors) / answers: promoters score 9-10, passives 7-8 (in the
    denominator), detractors 0-6. CSAT % = 100 × satisfied / answers, satisfied scoring 4 or 5 on the
    1-5 scale. The score bands are the standard definitions, not tunable thresholds, so they are not vars. -#}
{% macro is_promoter(score) -%}
    {{ score }} >= 9
{%- endmacro %}

{% macro is_passive(score) -%}
    {{ score }} between 7 and 8
{%- endmacro %}

{% macro is_detractor(score) -%}
    {{ score }} <= 6
{%- endmacro %}

{% macro nps_category(score) -%}
    case
        when {{ is_promoter(score) }} then 'promoter'
        when {{ is_passive(score) }} then 'passive'
        else 'detractor'
    end
{%- endmacro %}

{#- NPS from counts, rounded to 2 places; null without answers. Counts may be sums over months or
    groups: NPS is pooled from the counts, never averaged. -#}
{% macro nps(promoters, detractors, answers) -%}
    {{ dbt.cast(round_half_up(
        '100.0 * (' ~ promoters ~ ' - ' ~ detractors ~ ') / nullif(' ~ answers ~ ', 0)', 2), 'double') }}
{%- endmacro %}

{% macro is_satisfied(csat_score) -%}
    {{ csat_score }} >= 4
{%- endmacro %}

{#- CSAT % from counts, rounded to 2 places; null without answers. -#}
{% macro csat_pct(satisfied, answers) -%}
    {{ dbt.cast(round_half_up('100.0 * ' ~ satisfied ~ ' / nullif(' ~ answers ~ ', 0)', 2), 'double') }}
{%- endmacro %}

{#- The survey answers' counts, NPS and CSAT % of a group, over `survey_type = 'nps'` and `'csat'` answers. -#}
{% macro survey_aggregates(survey_type='survey_type', score='score') -%}
    {%- set nps_answer = survey_type ~ " = 'nps'" %}
    {%- set csat_answer = survey_type ~ " = 'csat'" %}
    {%- set nps_answers = "sum(case when " ~ nps_answer ~ " then 1 else 0 end)" %}
    {%- set promoters = "sum(case when " ~ nps_answer ~ " and " ~ is_promoter(score) ~ " then 1 else 0 end)" %}
    {%- set passives = "sum(case when " ~ nps_answer ~ " and " ~ is_passive(score) ~ " then 1 else 0 end)" %}
    {%- set detractors = "sum(case when " ~ nps_answer ~ " and " ~ is_detractor(score) ~ " then 1 else 0 end)" %}
    {%- set csat_answers = "sum(case when " ~ csat_answer ~ " then 1 else 0 end)" %}
    {%- set satisfied = "sum(case when " ~ csat_answer ~ " and " ~ is_satisfied(score) ~ " then 1 else 0 end)" %}
        {{ dbt.cast(nps_answers, 'bigint') }} as nps_responses,
        {{ dbt.cast(promoters, 'bigint') }} as promoters,
        {{ dbt.cast(passives, 'bigint') }} as passives,
        {{ dbt.cast(detractors, 'bigint') }} as detractors,
        {{ nps(promoters, detractors, nps_answers) }} as nps,
        {{ dbt.cast(csat_answers, 'bigint') }} as csat_responses,
        {{ csat_pct(satisfied, csat_answers) }} as csat_pct
{%- endmacro %}
