{#- NPS and CSAT, defined once and used by every NPS mart.
    NPS = 100 × (promoters − detractors) / responses, over `survey_type = 'nps'` answers only:
    promoters score 9-10, passives 7-8 (in the denominator), detractors 0-6.
    CSAT % = share of `survey_type = 'csat'` answers scoring 4 or 5 on the 1-5 scale. -#}
{% macro nps_category(score) -%}
    case
        when {{ score }} >= 9 then 'promoter'
        when {{ score }} >= 7 then 'passive'
        else 'detractor'
    end
{%- endmacro %}

{% macro survey_aggregates(survey_type='survey_type', score='score') -%}
        {{ dbt.cast("sum(case when " ~ survey_type ~ " = 'nps' then 1 else 0 end)", 'bigint') }} as nps_responses,
        {%- set nps_answer = survey_type ~ " = 'nps' and " ~ score %}
        {{ dbt.cast("sum(case when " ~ nps_answer ~ " >= 9 then 1 else 0 end)", 'bigint') }} as promoters,
        {{ dbt.cast("sum(case when " ~ nps_answer ~ " between 7 and 8 then 1 else 0 end)", 'bigint') }} as passives,
        {{ dbt.cast("sum(case when " ~ nps_answer ~ " <= 6 then 1 else 0 end)", 'bigint') }} as detractors,
        {{ dbt.cast(round_half_up(
            "100.0 * (sum(case when " ~ survey_type ~ " = 'nps' and " ~ score ~ " >= 9 then 1 else 0 end)"
            ~ " - sum(case when " ~ survey_type ~ " = 'nps' and " ~ score ~ " <= 6 then 1 else 0 end))"
            ~ " / nullif(sum(case when " ~ survey_type ~ " = 'nps' then 1 else 0 end), 0)", 2),
            'double') }} as nps,
        {{ dbt.cast("sum(case when " ~ survey_type ~ " = 'csat' then 1 else 0 end)", 'bigint') }} as csat_responses,
        {{ dbt.cast(round_half_up(
            "100.0 * sum(case when " ~ survey_type ~ " = 'csat' and " ~ score ~ " >= 4 then 1 else 0 end)"
            ~ " / nullif(sum(case when " ~ survey_type ~ " = 'csat' then 1 else 0 end), 0)", 2),
            'double') }} as csat_pct
{%- endmacro %}
