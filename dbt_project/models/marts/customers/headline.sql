{#- The headline, declared once: one row per figure, each read from the mart that defines it beside its
    value one period earlier, in the order the report's tiles and `make run`'s summary show them. The
    report shows the figures `in_report`; the summary shows them all. Per-channel figures repeat for
    every row of `ltv_cac_by_channel`, keyed and labelled by the channel. -#}
{%- set text = dbt.type_string() -%}
{%- set as_of = "'as of ' || " ~ dbt.cast('context.as_of_date', text) -%}
{%- set stages_before = "coalesce('as of ' || " ~ dbt.cast('context.stages_before_date', text) ~ ", 'n/a')" -%}
{%- set last_month = "coalesce(substring(" ~ dbt.cast('context.last_month', text) ~ ", 1, 7), 'n/a')" -%}
{%- set month_before = "coalesce(substring(" ~ dbt.cast('context.month_before', text) ~ ", 1, 7), 'n/a')" -%}
{%- set nps_window = "'12 months to ' || " ~ dbt.cast('context.as_of_date', text) -%}
{%- set cohorts_old = dbt.cast('channels.cohorts', text) ~ " || ' cohorts 12 months old'" -%}
{%- set cohort = "coalesce('cohort ' || substring(" ~ dbt.cast('context.%s', text) ~ ", 1, 7), 'n/a')" -%}
{#- Each figure: its key, label and unit; whether the report shows it; the SQL of its value, previous value and
    periods (over `context`, one row, and per channel `channels`); and its definition in words. -#}
{%- set figures = [
    {'key': 'people', 'label': 'People known', 'unit': 'count', 'in_report': true,
     'value': 'context.people', 'previous': 'context.people_before',
     'period': as_of, 'previous_period': stages_before,
     'definition': 'Everyone with an order, a support ticket or a survey answer: buyers and prospects.'},
    {'key': 'customers', 'label': 'Customers (any order)', 'unit': 'count', 'in_report': false,
     'value': 'context.customers', 'period': as_of,
     'definition': 'People who placed an order of any status.'},
    {'key': 'buyers', 'label': 'Buyers (a completed order)', 'unit': 'count', 'in_report': false,
     'value': 'context.buyers', 'period': as_of,
     'definition': 'People with at least one completed order.'},
    {'key': 'active_buyers', 'label': 'Active buyers, last month', 'unit': 'count', 'in_report': true,
     'value': 'context.active_buyers', 'previous': 'context.active_buyers_before',
     'period': last_month, 'previous_period': month_before,
     'definition': 'Customers with at least one completed order in the month '
         ~ "(growth accounting's active customers)."},
    {'key': 'prospects', 'label': 'Prospects', 'unit': 'count', 'in_report': true,
     'value': 'context.prospects', 'previous': 'context.prospects_before',
     'period': as_of, 'previous_period': stages_before,
     'definition': 'People with tickets, survey answers or unfinished orders but no completed order yet.'},
    {'key': 'monthly_churn', 'label': 'Monthly churn, last month', 'unit': 'rate', 'in_report': true,
     'value': 'context.monthly_churn', 'previous': 'context.monthly_churn_before',
     'period': last_month, 'previous_period': month_before,
     'definition': 'Customers active the month before with no completed order this month, '
         ~ 'over those active the month before.'},
    {'key': 'customer_retention_last_month', 'label': 'Customer retention, last month', 'unit': 'rate',
     'in_report': false, 'value': 'context.customer_retention_last_month', 'period': last_month,
     'definition': 'Customers active the month before with a completed order this month, '
         ~ 'over those active the month before.'},
    {'key': 'quick_ratio', 'label': 'Quick ratio, last month', 'unit': 'ratio', 'in_report': true,
     'value': 'context.quick_ratio_this_month', 'previous': 'context.quick_ratio_before',
     'period': last_month, 'previous_period': month_before,
     'definition': '(new + resurrected customers) / churned customers. Above 1 the active base grows.'},
    {'key': 'retention_12m', 'label': '12-month retention, latest complete cohort', 'unit': 'rate',
     'in_report': false, 'value': 'context.retention_12m',
     'period': cohort | format('retention_12m_cohort_month'),
     'definition': 'Share of the newest cohort whose month 12 has ended with a completed order in that month.'},
    {'key': 'repeat_rate_90d', 'label': '90-day repeat rate, latest cohort', 'unit': 'rate',
     'in_report': false, 'value': 'context.repeat_rate_90d',
     'period': cohort | format('repeat_90d_cohort_month'),
     'definition': 'Share of the newest cohort old enough to tell with a second completed order '
         ~ 'within 90 days of the first.'},
    {'key': 'nps_12m', 'label': 'NPS, last 12 months', 'unit': 'score', 'in_report': true,
     'value': 'context.nps_12m', 'previous': 'context.nps_prior_12m',
     'period': nps_window, 'previous_period': "'the 12 months before'",
     'definition': '100 × (promoters − detractors) / answers, over every NPS answer of the period '
         ~ '(−100 to +100).'},
    {'key': 'nps_responses_12m', 'label': 'NPS answers, last 12 months', 'unit': 'count', 'in_report': false,
     'value': 'context.nps_responses_12m', 'previous': 'context.nps_responses_prior_12m',
     'period': nps_window, 'previous_period': "'the 12 months before'",
     'definition': 'NPS survey answers of the period, what the NPS is computed over.'},
    {'key': 'median_historical_clv_margin', 'label': 'Median historical CLV (margin)', 'unit': 'money',
     'in_report': true, 'value': 'context.median_historical_clv_margin', 'period': as_of,
     'definition': 'Median net margin to date per customer with a completed order.'},
    {'key': 'median_historical_clv_revenue', 'label': 'Median historical CLV (revenue)', 'unit': 'money',
     'in_report': false, 'value': 'context.median_historical_clv_revenue', 'period': as_of,
     'definition': 'Median net revenue to date per customer with a completed order.'},
    {'key': 'median_predicted_clv_12m', 'label': 'Median predicted CLV, next 12 months (margin)', 'unit': 'money',
     'in_report': true, 'value': 'context.median_predicted_clv_12m', 'period': as_of,
     'definition': "Median of the CLV model's expected margin over the next 12 months "
         ~ '(BG/NBD or MBG/NBD × Gamma-Gamma).'},
    {'key': 'below_zero_customers', 'label': 'Below-zero customers (value < 0)', 'unit': 'count',
     'in_report': false, 'value': 'context.below_zero_customers', 'period': as_of,
     'definition': 'Buyers whose customer value (margin to date and predicted, less cost to serve and '
         ~ 'to acquire) is negative.'},
    {'key': 'below_zero_share_of_buyers', 'label': 'Below-zero share of buyers', 'unit': 'rate',
     'in_report': false, 'value': 'context.below_zero_share_of_buyers', 'period': as_of,
     'definition': 'Below-zero customers over buyers.'},
    {'key': 'below_zero_cost', 'label': 'Below-zero customers: cost to acquire and serve', 'unit': 'money',
     'in_report': false, 'value': 'context.below_zero_cost', 'period': as_of,
     'definition': 'What the below-zero customers cost: their cost to serve plus their acquisition cost.'},
    {'key': 'ltv_cac', 'label': 'LTV:CAC', 'unit': 'ratio', 'in_report': true, 'per_channel': true,
     'value': 'channels.ltv_cac_ratio_12m', 'period': cohorts_old,
     'threshold': 'channels.healthy_ltv_cac_ratio', 'meets_threshold': 'channels.is_healthy',
     'definition': '12-month margin per new customer over acquisition cost per new customer; healthy at '
         ~ var('healthy_ltv_cac_ratio') ~ ' or more.'},
    {'key': 'cac_payback', 'label': 'CAC payback', 'unit': 'months', 'in_report': false, 'per_channel': true,
     'value': 'channels.median_cac_payback_months', 'period': cohorts_old,
     'definition': "Median month in which a cohort's cumulative margin per customer reached its acquisition "
         ~ 'cost, over the cohorts 12 months old that have; n/a when none has.'},
    {'key': 'ltv_cac', 'label': 'LTV:CAC', 'unit': 'ratio', 'in_report': false, 'without_channels': true,
     'value': 'null', 'period': "'no marketing spend, or no cohort 12 months old'",
     'definition': 'LTV:CAC per channel needs marketing spend and a cohort 12 months old; '
         ~ 'without either, this row says so.'},
] -%}
with

summary as (

    select * from {{ ref('lifecycle_summary') }}

),

-- the stage counts at the end of the month before the as-of month
stage_month_before as (

    select max(stages.stage_month) as stage_month
    from {{ ref('lifecycle_stages_monthly') }} as stages
    cross join summary
    where stages.stage_month < {{ month_start('summary.as_of_date') }}

),

stages_before as (

    select
        sum(stages.customers) as people,
        sum(case when stages.lifecycle_stage = 'prospect' then stages.customers end) as prospects,
        max(stages.snapshot_date) as snapshot_date
    from {{ ref('lifecycle_stages_monthly') }} as stages
    inner join stage_month_before on stages.stage_month = stage_month_before.stage_month

),

-- the last whole month's flows (months_back 1) and the month before's (2)
flows as (

    select
        flows.flow_month,
        flows.active_customers,
        flows.customer_churn_rate,
        flows.quick_ratio,
        row_number() over (order by flows.flow_month desc) as months_back
    from {{ ref('growth_accounting_monthly') }} as flows
    cross join summary
    where flows.flow_month <= summary.last_month

),

context as (

    select
        summary.*,
        stages_before.people as people_before,
        stages_before.prospects as prospects_before,
        stages_before.snapshot_date as stages_before_date,
        this_month.active_customers as active_buyers,
        this_month.customer_churn_rate as monthly_churn,
        this_month.quick_ratio as quick_ratio_this_month,
        before.flow_month as month_before,
        before.active_customers as active_buyers_before,
        before.customer_churn_rate as monthly_churn_before,
        before.quick_ratio as quick_ratio_before
    from summary
    cross join stages_before
    left join flows as this_month on this_month.months_back = 1
    left join flows as before on before.months_back = 2

),

channel_count as (

    select count(*) as channels from {{ ref('ltv_cac_by_channel') }}

),

figures as (
{% for figure in figures %}
    select
        {{ loop.index }} as position,
        '{{ figure.key }}' as figure,
        {{ dbt.cast('channels.acquisition_channel' if figure.per_channel else 'null', dbt.type_string()) }} as subject,
        '{{ dbt.escape_single_quotes(figure.label) }}' as label,
        {{ dbt.cast(figure.value, 'double') }} as value,
        {{ dbt.cast(figure.previous or 'null', 'double') }} as previous_value,
        {{ figure.period }} as period,
        {{ figure.previous_period or "'n/a'" }} as previous_period,
        '{{ figure.unit }}' as unit,
        {{ dbt.cast(figure.threshold or 'null', 'double') }} as threshold,
        {{ dbt.cast(figure.meets_threshold or 'null', 'boolean') }} as meets_threshold,
        {{ figure.in_report }} as in_report,
        '{{ dbt.escape_single_quotes(figure.definition) }}' as definition,
        context.as_of_date
    from context
    {%- if figure.per_channel %}
    cross join {{ ref('ltv_cac_by_channel') }} as channels
    {%- elif figure.without_channels %}
    cross join channel_count
    where channel_count.channels = 0
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}

)

select
    {{ dbt.cast("figure || coalesce('_' || subject, '')", dbt.type_string()) }} as figure_key,
    -- the figures of the whole base first, then each channel's
    {{ dbt.cast('row_number() over (order by subject is not null, subject, position)', 'bigint') }} as display_order,
    {{ dbt.cast("label || coalesce(', ' || subject, '')", dbt.type_string()) }} as label,
    value,
    previous_value,
    {{ dbt.cast('period', dbt.type_string()) }} as period,
    {{ dbt.cast('previous_period', dbt.type_string()) }} as previous_period,
    {{ dbt.cast('unit', dbt.type_string()) }} as unit,
    threshold,
    meets_threshold,
    {{ dbt.cast('in_report', 'boolean') }} as in_report,
    {{ dbt.cast('definition', dbt.type_string()) }} as definition,
    {{ dbt.cast('as_of_date', 'date') }} as as_of_date
from figures
