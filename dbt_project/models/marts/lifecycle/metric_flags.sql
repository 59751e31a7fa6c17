{#- The signals a lifecycle team watches, judged on the last whole month before the as-of month: one
    row per flag (and channel or cohort where the flag has one), with the value, the baseline it is
    compared with and whether it is raised. Each flag is a CTE of its figures and a branch of `flags`
    stating its rule once, as SQL and in words; the thresholds are dbt vars (`flag_*`,
    `support_sla_hours`). `_lifecycle__models.yml` lists the flags (meta `flags`, with the mart each
    watches), and the pipeline turns each into a warning check that never blocks publishing. Every
    figure is a double: a union takes its column types from the first branch on DuckDB, which would
    round the later ones to its scale. -#}
with

as_of as (

    select {{ dbt.cast(dbt.dateadd('month', -1, month_start('as_of_date')), 'date') }} as flag_month
    from {{ ref('int_as_of_dates') }}

),

{%- set this_month = 'nps.response_month = as_of.flag_month' %}
{%- set months_before = 'nps.response_month < as_of.flag_month' %}

-- NPS of the buyers' answers: the month's against the three months before it, pooled
nps_drop as (

    select
        'buyers' as subject,
        {{ nps(
            'sum(case when ' ~ this_month ~ ' then nps.promoters end)',
            'sum(case when ' ~ this_month ~ ' then nps.detractors end)',
            'sum(case when ' ~ this_month ~ ' then nps.nps_responses end)'
        ) }} as value,
        {{ nps(
            'sum(case when ' ~ months_before ~ ' then nps.promoters end)',
            'sum(case when ' ~ months_before ~ ' then nps.detractors end)',
            'sum(case when ' ~ months_before ~ ' then nps.nps_responses end)'
        ) }} as baseline,
        cast({{ var('flag_nps_drop_points') }} as double) as threshold
    from {{ ref('nps_monthly') }} as nps
    cross join as_of
    where nps.is_buyer
      and nps.response_month >= {{ dbt.dateadd('month', -3, 'as_of.flag_month') }}
      and nps.response_month <= as_of.flag_month

),

-- monthly churn: the month's against the average of the three months before it
churn_rise as (

    select
        'customers' as subject,
        cast(max(case when flows.flow_month = as_of.flag_month then flows.customer_churn_rate end) as double) as value,
        cast({{ round_half_up(
            'avg(case when flows.flow_month < as_of.flag_month then flows.customer_churn_rate end)', 4
        ) }} as double) as baseline,
        cast({{ var('flag_churn_rise_points') }} as double) as threshold
    from {{ ref('growth_accounting_monthly') }} as flows
    cross join as_of
    where flows.flow_month >= {{ dbt.dateadd('month', -3, 'as_of.flag_month') }}
      and flows.flow_month <= as_of.flag_month

),

-- the month's quick ratio against the floor (a month without a row has no value)
quick_ratio_low as (

    select
        'customers' as subject,
        cast(max(flows.quick_ratio) as double) as value,
        cast({{ var('flag_quick_ratio_min') }} as double) as baseline,
        cast({{ var('flag_quick_ratio_min') }} as double) as threshold
    from {{ ref('growth_accounting_monthly') }} as flows
    cross join as_of
    where flows.flow_month = as_of.flag_month

),

-- month-1 retention of the newest cohort whose month 1 has ended, against the three cohorts before it
first_months as (

    select
        retention.cohort_month,
        retention.retention_rate,
        row_number() over (order by retention.cohort_month desc) as newest_first
    from {{ ref('cohort_retention') }} as retention
    cross join as_of
    where retention.months_since_first_order = 1 and retention.activity_month <= as_of.flag_month

),

month1_retention_drop as (

    select
        {{ dbt.cast("max(case when newest_first = 1 then cohort_month end)", dbt.type_string()) }} as subject,
        cast(max(case when newest_first = 1 then retention_rate end) as double) as value,
        cast({{ round_half_up('avg(case when newest_first > 1 then retention_rate end)', 4) }} as double) as baseline,
        cast({{ var('flag_retention_drop_points') }} as double) as threshold
    from first_months
    where newest_first <= 4

),

-- each paid channel's 12-month LTV:CAC against the floor
ltv_cac_below_1 as (

    select
        channels.acquisition_channel as subject,
        cast(channels.ltv_cac_ratio_12m as double) as value,
        cast({{ var('flag_ltv_cac_min') }} as double) as baseline,
        cast({{ var('flag_ltv_cac_min') }} as double) as threshold
    from {{ ref('ltv_cac_by_channel') }} as channels

),

-- each ticket channel's p90 first response to buyers in the month against the SLA
first_response_over_sla as (

    select
        support.ticket_channel as subject,
        cast(support.p90_first_response_hours as double) as value,
        cast({{ var('support_sla_hours') }} as double) as baseline,
        cast({{ var('support_sla_hours') }} as double) as threshold
    from {{ ref('support_monthly') }} as support
    cross join as_of
    where support.ticket_month = as_of.flag_month and support.is_buyer

),

flags as (

    select
        'nps_drop' as flag, subject, value, baseline, threshold,
        value < baseline - threshold as is_raised,
        'NPS more than threshold points below the three months before' as rule
    from nps_drop

    union all

    select
        'churn_rise' as flag, subject, value, baseline, threshold,
        value > baseline + threshold as is_raised,
        'monthly churn more than threshold above the average of the three months before' as rule
    from churn_rise

    union all

    select
        'quick_ratio_low' as flag, subject, value, baseline, threshold,
        value < threshold as is_raised,
        'quick ratio below threshold: the active base shrinks' as rule
    from quick_ratio_low

    union all

    select
        'month1_retention_drop' as flag, subject, value, baseline, threshold,
        value < baseline - threshold as is_raised,
        'month-1 retention of the newest cohort more than threshold below the three cohorts before' as rule
    from month1_retention_drop

    union all

    select
        'ltv_cac_below_1' as flag, subject, value, baseline, threshold,
        value < threshold as is_raised,
        'a paid channel whose 12-month margin does not pay back its acquisition cost' as rule
    from ltv_cac_below_1

    union all

    select
        'first_response_over_sla' as flag, subject, value, baseline, threshold,
        value > threshold as is_raised,
        'p90 first response to buyers in the month above the SLA' as rule
    from first_response_over_sla

)

select
    {{ dbt.cast('as_of.flag_month', 'date') }} as flag_month,
    {{ dbt.cast('flags.flag', dbt.type_string()) }} as flag,
    {{ dbt.cast('flags.subject', dbt.type_string()) }} as subject,
    {{ dbt.cast('flags.value', 'double') }} as value,
    {{ dbt.cast('flags.baseline', 'double') }} as baseline,
    {{ dbt.cast('flags.threshold', 'double') }} as threshold,
    -- a figure missing (no answers, no such cohort yet) raises nothing
    coalesce(flags.is_raised, false) as is_raised,
    {{ dbt.cast('flags.rule', dbt.type_string()) }} as rule
from flags
cross join as_of
