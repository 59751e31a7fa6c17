{#- The signals a lifecycle team watches, judged on the last whole month before the as-of month: one
    row per flag (and channel or cohort where the flag has one), with the value, the baseline it is
    compared with and whether it is raised. The thresholds are dbt vars (`flag_*`, `support_sla_hours`);
    the pipeline turns every row into a warning check that never blocks publishing. -#}
with

as_of as (

    select {{ dbt.cast(dbt.dateadd('month', -1, month_start('as_of_date')), 'date') }} as flag_month
    from {{ ref('int_as_of_dates') }}

),

-- NPS of the buyers' answers: the month's against the three months before it, pooled
nps as (

    select
        sum(case when nps.response_month = as_of.flag_month then nps.promoters - nps.detractors end) as net_this,
        sum(case when nps.response_month = as_of.flag_month then nps.nps_responses end) as answers_this,
        sum(case when nps.response_month < as_of.flag_month then nps.promoters - nps.detractors end) as net_before,
        sum(case when nps.response_month < as_of.flag_month then nps.nps_responses end) as answers_before
    from {{ ref('nps_monthly') }} as nps
    cross join as_of
    where nps.is_buyer
      and nps.response_month >= {{ dbt.dateadd('month', -3, 'as_of.flag_month') }}
      and nps.response_month <= as_of.flag_month

),

-- monthly churn: the month's against the average of the three months before it
churn as (

    select
        max(case when flows.flow_month = as_of.flag_month then flows.customer_churn_rate end) as this_month,
        avg(case when flows.flow_month < as_of.flag_month then flows.customer_churn_rate end) as months_before,
        max(case when flows.flow_month = as_of.flag_month then flows.quick_ratio end) as quick_ratio
    from {{ ref('growth_accounting_monthly') }} as flows
    cross join as_of
    where flows.flow_month >= {{ dbt.dateadd('month', -3, 'as_of.flag_month') }}
      and flows.flow_month <= as_of.flag_month

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

retention as (

    select
        max(case when newest_first = 1 then cohort_month end) as cohort_month,
        max(case when newest_first = 1 then retention_rate end) as this_cohort,
        avg(case when newest_first > 1 then retention_rate end) as cohorts_before
    from first_months
    where newest_first <= 4

),

-- every figure as a double in every branch: a union takes its column types from the first branch on
-- DuckDB, which would round the later ones to its scale
flags as (

    select
        'nps_drop' as flag,
        'buyers' as subject,
        cast({{ round_half_up('100.0 * nps.net_this / nullif(nps.answers_this, 0)', 2) }} as double) as value,
        cast({{ round_half_up('100.0 * nps.net_before / nullif(nps.answers_before, 0)', 2) }} as double) as baseline,
        cast({{ var('flag_nps_drop_points') }} as double) as threshold,
        'NPS more than threshold points below the three months before' as rule
    from nps

    union all

    select
        'churn_rise' as flag,
        'customers' as subject,
        cast(churn.this_month as double) as value,
        cast({{ round_half_up('churn.months_before', 4) }} as double) as baseline,
        cast({{ var('flag_churn_rise_points') }} as double) as threshold,
        'monthly churn more than threshold above the average of the three months before' as rule
    from churn

    union all

    select
        'quick_ratio_low' as flag,
        'customers' as subject,
        cast(churn.quick_ratio as double) as value,
        cast({{ var('flag_quick_ratio_min') }} as double) as baseline,
        cast({{ var('flag_quick_ratio_min') }} as double) as threshold,
        'quick ratio below threshold: the active base shrinks' as rule
    from churn

    union all

    select
        'month1_retention_drop' as flag,
        {{ dbt.cast("retention.cohort_month", dbt.type_string()) }} as subject,
        cast(retention.this_cohort as double) as value,
        cast({{ round_half_up('retention.cohorts_before', 4) }} as double) as baseline,
        cast({{ var('flag_retention_drop_points') }} as double) as threshold,
        'month-1 retention of the newest cohort more than threshold below the three cohorts before' as rule
    from retention

    union all

    select
        'ltv_cac_below_1' as flag,
        channels.acquisition_channel as subject,
        cast(channels.ltv_cac_ratio_12m as double) as value,
        cast(1.0 as double) as baseline,
        cast(1.0 as double) as threshold,
        'a paid channel whose 12-month margin does not pay back its acquisition cost' as rule
    from {{ ref('ltv_cac_by_channel') }} as channels

    union all

    select
        'first_response_over_sla' as flag,
        support.ticket_channel as subject,
        cast(support.p90_first_response_hours as double) as value,
        cast({{ var('support_sla_hours') }} as double) as baseline,
        cast({{ var('support_sla_hours') }} as double) as threshold,
        'p90 first response to buyers in the month above the SLA' as rule
    from {{ ref('support_monthly') }} as support
    cross join as_of
    where support.ticket_month = as_of.flag_month and support.is_buyer

)

select
    {{ dbt.cast('as_of.flag_month', 'date') }} as flag_month,
    {{ dbt.cast('flags.flag', dbt.type_string()) }} as flag,
    {{ dbt.cast('flags.subject', dbt.type_string()) }} as subject,
    {{ dbt.cast('flags.value', 'double') }} as value,
    {{ dbt.cast('flags.baseline', 'double') }} as baseline,
    {{ dbt.cast('flags.threshold', 'double') }} as threshold,
    coalesce(
        case flags.flag
            when 'nps_drop' then flags.value < flags.baseline - flags.threshold
            when 'churn_rise' then flags.value > flags.baseline + flags.threshold
            when 'quick_ratio_low' then flags.value < flags.threshold
            when 'month1_retention_drop' then flags.value < flags.baseline - flags.threshold
            when 'ltv_cac_below_1' then flags.value < flags.threshold
            when 'first_response_over_sla' then flags.value > flags.threshold
        end,
        false
    ) as is_raised,
    {{ dbt.cast('flags.rule', dbt.type_string()) }} as rule
from flags
cross join as_of
