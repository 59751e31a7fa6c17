-- The benchmark reference: the `customers`, `cohort_retention` and `nps_monthly` marts computed by
-- one plain DuckDB script straight over the landing CSV files: no ingestion, validation, dbt or
-- Python in between. It is the "what the database alone can do" baseline the pipeline's run time
-- is compared with (benchmarks/pipeline.py), so it does the same work as the dbt models
-- (dbt_project/models, vars at their defaults in dbt_project.yml): it reads every landing file,
-- keeps each key's newest delivery, converts currencies, and publishes the same columns.
--
-- Placeholders, substituted by the caller (benchmarks/reference/run_reference.py):
--   {landing}  the landing root, one folder per source, as in LIFECYCLE_LANDING_DIR; must be a
--              valid SQL string literal body (single quotes doubled)
--   {as_of}    the as-of date as a SQL expression: NULL for the pipeline's usual build (the day of
--              the latest event in the data), the only one the reference computes
--
-- Writes schema `reference` (tables customers, cohort_retention, nps_monthly) in the database it
-- runs in; everything else is a temp table. `cohort_retention` and `nps_monthly` match their dbt
-- twins column for column; `customers` has the same rows and leaves out thirteen of the mart's
-- columns, so the reference does less than the pipeline, never more: the four predicted-CLV ones
-- (expected_purchases_12m, p_alive, expected_avg_margin_per_purchase, predicted_clv_12m: the Python
-- BG/NBD fit, not SQL), the costs and value (cost_to_serve, acquisition_cost, customer_value,
-- value_tier, profitable_since, months_to_profitability: marketing spend allocated to cohorts) and
-- is_buyer, first_seen_at, second_completed_order_at. `benchmarks.pipeline` and
-- tests/pipeline/test_marts.py hold every column it has to the published marts
-- (run_reference.differences).
--
-- Deliberately not done, as it is the pipeline's validation and not the marts' arithmetic:
-- quarantine of bad rows, blocked files, duplicate-content detection, Great Expectations, tests.
-- On valid files that changes nothing. Also left out: marketing_spend (only the columns left
-- out above read it) and the customer_email hash (staging computes it, no mart of these three reads it).
-- The landing files are read through views a reader script defines before this one runs
-- (read_csv.sql or read_parquet.sql: `landed_<folder>`, and the `deliveries` in the order ingestion
-- loads them); a source folder must hold at least one file, and each column used must be in it.

-- Naive timestamps are UTC, as at ingestion (the session time zone parses them).
SET TimeZone = 'UTC';

CREATE SCHEMA IF NOT EXISTS reference;


-- Staging (stg_*): the rows of each key's newest delivery. dense_rank, as the latest_delivery
-- macro: a key repeated inside one file is kept twice (ingestion would have quarantined it).
-- Text is trimmed with '' as NULL, timestamps become naive UTC; then staging's renames, case
-- normalisation and rounding to cents (to_money).

CREATE TEMP TABLE stg_orders AS
SELECT * EXCLUDE (delivery)
FROM (
    SELECT
        nullif(trim(order_id), '') AS order_id,
        nullif(trim(customer_id), '') AS customer_id,
        lower(trim(status)) AS order_status,
        upper(trim(currency)) AS currency_code,
        nullif(lower(trim(channel)), '') AS order_channel,
        cast(round(cast(amount AS decimal(38, 9)), 2) AS decimal(18, 2)) AS order_amount,
        cast(round(cast(cost AS decimal(38, 9)), 2) AS decimal(18, 2)) AS order_cost,
        ordered_at AT TIME ZONE 'UTC' AS ordered_at,
        delivery
    FROM landed_orders
    INNER JOIN deliveries USING (filename)
)
QUALIFY dense_rank() OVER (PARTITION BY order_id ORDER BY delivery DESC) = 1;

CREATE TEMP TABLE stg_tickets AS
SELECT * EXCLUDE (delivery)
FROM (
    SELECT
        nullif(trim(ticket_id), '') AS ticket_id,
        nullif(trim(customer_id), '') AS customer_id,
        lower(trim(status)) AS ticket_status,
        cast(csat_score AS integer) AS csat_score,
        created_at AT TIME ZONE 'UTC' AS created_at,
        first_response_at AT TIME ZONE 'UTC' AS first_response_at,
        resolved_at AT TIME ZONE 'UTC' AS resolved_at,
        delivery
    FROM landed_support_tickets
    INNER JOIN deliveries USING (filename)
)
QUALIFY dense_rank() OVER (PARTITION BY ticket_id ORDER BY delivery DESC) = 1;

CREATE TEMP TABLE stg_responses AS
SELECT * EXCLUDE (delivery)
FROM (
    SELECT
        nullif(trim(response_id), '') AS response_id,
        nullif(trim(customer_id), '') AS customer_id,
        lower(trim(survey_type)) AS survey_type,
        cast(score AS integer) AS score,
        responded_at AT TIME ZONE 'UTC' AS responded_at,
        delivery
    FROM landed_survey_responses
    INNER JOIN deliveries USING (filename)
)
QUALIFY dense_rank() OVER (PARTITION BY response_id ORDER BY delivery DESC) = 1;

CREATE TEMP TABLE stg_fx_rates AS
SELECT * EXCLUDE (delivery)
FROM (
    SELECT rate_date, upper(trim(currency)) AS currency_code, rate_to_reporting, delivery
    FROM landed_fx_rates
    INNER JOIN deliveries USING (filename)
)
QUALIFY dense_rank() OVER (PARTITION BY rate_date, currency_code ORDER BY delivery DESC) = 1;


-- int_as_of_dates: {as_of} when given, else the day of the latest order, ticket or response.
-- The reporting time zone is UTC, so UTC days are reporting days here and below.
CREATE TEMP TABLE as_of AS
SELECT cast(coalesce({as_of}, max(latest_event_at)) AS date) AS as_of_date
FROM (
    SELECT max(ordered_at) AS latest_event_at FROM stg_orders
    UNION ALL SELECT max(created_at) FROM stg_tickets
    UNION ALL SELECT max(responded_at) FROM stg_responses
);


-- int_fx_rates_resolved + int_orders_converted: each order in USD at the latest rate on or before
-- its day, unless that rate is more than 7 days old (fx_max_staleness_days). The ASOF join finds
-- the latest rate directly; if it is too old, no older one can qualify, as in dbt's range join.
-- Money: the same expressions and types as dbt, so every cent rounds the same way.
CREATE TEMP TABLE orders_converted AS
WITH with_rates AS (
    SELECT
        orders.*,
        cast(orders.ordered_at AS date) AS order_date,
        CASE
            WHEN orders.currency_code = 'USD' THEN 1.0
            WHEN rates.rate_date >= cast(orders.ordered_at AS date) - 7 THEN rates.rate_to_reporting
        END AS fx_rate
    FROM stg_orders AS orders
    ASOF LEFT JOIN stg_fx_rates AS rates
        ON rates.currency_code = orders.currency_code
        AND cast(orders.ordered_at AS date) >= rates.rate_date
),

converted AS (
    SELECT
        order_id,
        customer_id,
        order_status,
        order_channel,
        ordered_at,
        order_date,
        cast(date_trunc('month', ordered_at) AS date) AS order_month,
        fx_rate IS NOT NULL AS has_fx_rate,
        order_cost IS NULL AS margin_is_estimated,
        cast(round(cast(order_amount * fx_rate AS decimal(38, 9)), 2) AS decimal(18, 2)) AS amount,
        cast(round(cast(order_cost * fx_rate AS decimal(38, 9)), 2) AS decimal(18, 2)) AS cost
    FROM with_rates
),

contributions AS (
    SELECT
        *,
        -- default_margin_rate 0.4 where the cost is unknown
        CASE WHEN cost IS NOT NULL THEN amount - cost ELSE cast(round(cast(amount * 0.4 AS decimal(38, 9)), 2) AS decimal(18, 2)) END AS margin
    FROM converted
)

SELECT
    *,
    order_status = 'completed' AS is_completed,
    CASE WHEN order_status IN ('completed', 'refunded') THEN amount ELSE 0 END AS gross_revenue,
    CASE WHEN order_status = 'refunded' THEN amount ELSE 0 END AS refund_amount,
    CASE WHEN order_status = 'completed' THEN amount ELSE 0 END AS net_revenue,
    CASE WHEN order_status = 'completed' THEN margin ELSE 0 END AS net_margin
FROM contributions;


-- int_customers_acquired: the first completed order sets the cohort month and channel.
CREATE TEMP TABLE customers_acquired AS
SELECT
    customer_id,
    ordered_at AS first_completed_order_at,
    order_month AS cohort_month,
    coalesce(order_channel, 'unknown') AS acquisition_channel
FROM orders_converted
WHERE is_completed
QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) = 1;


-- marts.customers (without the predicted-CLV columns). Vars: churn_days 180, at_risk_days 90,
-- new_customer_days 90, rfm_bins 5, min_tenure_days_for_frequency 30.
CREATE OR REPLACE TABLE reference.customers AS
WITH order_gaps AS (
    SELECT
        customer_id,
        order_date,
        date_diff('day', lag(order_date) OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id)::timestamp,
                  order_date::timestamp) AS days_since_previous_order
    FROM orders_converted
    WHERE is_completed
),

last_gaps AS (
    SELECT customer_id, days_since_previous_order AS last_gap_days
    FROM order_gaps
    QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY order_date DESC, days_since_previous_order DESC) = 1
),

order_totals AS (
    SELECT
        customer_id,
        min(ordered_at) AS first_order_at,
        max(ordered_at) AS last_order_at,
        max(CASE WHEN is_completed THEN ordered_at END) AS last_completed_order_at,
        sum(CASE WHEN is_completed THEN 1 ELSE 0 END) AS completed_orders,
        sum(CASE WHEN order_status = 'refunded' THEN 1 ELSE 0 END) AS refunded_orders,
        sum(CASE WHEN order_status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled_orders,
        sum(CASE WHEN NOT has_fx_rate THEN 1 ELSE 0 END) AS orders_without_fx_rate,
        sum(gross_revenue) AS gross_revenue,
        sum(refund_amount) AS refunds,
        sum(net_revenue) AS net_revenue,
        sum(net_margin) AS net_margin,
        max(CASE WHEN is_completed AND margin_is_estimated THEN 1 ELSE 0 END) = 1 AS has_estimated_margin
    FROM orders_converted
    GROUP BY customer_id
),

tickets AS (
    SELECT
        customer_id,
        count(*) AS tickets,
        sum(CASE WHEN ticket_status IN ('new', 'open', 'pending') THEN 1 ELSE 0 END) AS open_tickets,
        -- hours from whole seconds, as the hours_between macro
        quantile_cont(date_diff('second', created_at, first_response_at) / 3600.0, 0.5) AS median_first_response_hours,
        quantile_cont(date_diff('second', created_at, resolved_at) / 3600.0, 0.5) AS median_resolution_hours,
        avg(csat_score) AS avg_ticket_csat
    FROM stg_tickets
    GROUP BY customer_id
),

latest_nps AS (
    SELECT customer_id, score AS latest_nps_score
    FROM stg_responses
    WHERE survey_type = 'nps'
    QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY responded_at DESC, response_id DESC) = 1
),

customer_facts AS (
    SELECT
        order_totals.*,
        acquired.first_completed_order_at,
        acquired.cohort_month,
        acquired.acquisition_channel,
        last_gaps.last_gap_days,
        coalesce(tickets.tickets, 0) AS tickets,
        coalesce(tickets.open_tickets, 0) AS open_tickets,
        tickets.median_first_response_hours,
        tickets.median_resolution_hours,
        tickets.avg_ticket_csat,
        latest_nps.latest_nps_score,
        as_of.as_of_date,
        date_diff('day', cast(order_totals.last_completed_order_at AS date)::timestamp, as_of.as_of_date::timestamp)
            AS days_since_last_order,
        date_diff('day', cast(acquired.first_completed_order_at AS date)::timestamp, as_of.as_of_date::timestamp)
            AS tenure_days
    FROM order_totals
    CROSS JOIN as_of
    LEFT JOIN customers_acquired AS acquired ON acquired.customer_id = order_totals.customer_id
    LEFT JOIN last_gaps ON last_gaps.customer_id = order_totals.customer_id
    LEFT JOIN tickets ON tickets.customer_id = order_totals.customer_id
    LEFT JOIN latest_nps ON latest_nps.customer_id = order_totals.customer_id
),

-- RFM scores 1..5 from percent rank, buyers only; an unknown net revenue ranks lowest.
rfm AS (
    SELECT
        customer_id,
        least(5, 1 + floor(5 * percent_rank() OVER (ORDER BY days_since_last_order DESC))) AS recency_score,
        least(5, 1 + floor(5 * percent_rank() OVER (ORDER BY completed_orders))) AS frequency_score,
        least(5, 1 + floor(5 * percent_rank() OVER (ORDER BY net_revenue NULLS FIRST))) AS monetary_score
    FROM customer_facts
    WHERE completed_orders > 0
),

scored AS (
    SELECT
        customer_facts.*,
        rfm.recency_score,
        rfm.frequency_score,
        rfm.monetary_score,
        CASE
            WHEN latest_nps_score >= 9 THEN 'promoter'
            WHEN latest_nps_score >= 7 THEN 'passive'
            WHEN latest_nps_score IS NOT NULL THEN 'detractor'
        END AS latest_nps_category,
        coalesce(days_since_last_order > 180, true) AS is_churned
    FROM customer_facts
    LEFT JOIN rfm ON rfm.customer_id = customer_facts.customer_id
),

staged AS (
    SELECT
        *,
        CASE
            WHEN recency_score IS NULL THEN NULL
            WHEN recency_score >= 4 AND frequency_score >= 4 AND monetary_score >= 4 THEN 'champions'
            WHEN recency_score >= 3 AND frequency_score >= 4 THEN 'loyal'
            WHEN recency_score >= 3 AND frequency_score >= 2 THEN 'potential loyalists'
            WHEN recency_score >= 4 THEN 'new'
            WHEN frequency_score >= 3 THEN 'at risk'
            WHEN recency_score >= 2 THEN 'hibernating'
            ELSE 'lost'
        END AS rfm_segment,
        CASE
            WHEN completed_orders = 0 THEN 'prospect'
            WHEN is_churned THEN 'churned'
            WHEN tenure_days <= 90 THEN 'new'
            WHEN last_gap_days > 180 THEN 'reactivated'
            WHEN days_since_last_order > 90 THEN 'at risk'
            WHEN latest_nps_score >= 9 THEN 'advocate'
            ELSE 'active'
        END AS lifecycle_stage
    FROM scored
),

health AS (
    SELECT
        *,
        -- Health 0-100: recency 40, frequency 20, monetary 10, latest NPS 15, support 15.
        CASE WHEN completed_orders = 0 THEN 0 ELSE round(cast(
            40 * greatest(0, 1 - days_since_last_order / 180.0)
            + 20 * (frequency_score - 1) / (5 - 1.0)
            + 10 * (monetary_score - 1) / (5 - 1.0)
            + 15 * CASE latest_nps_category WHEN 'promoter' THEN 1 WHEN 'detractor' THEN 0 ELSE 0.5 END
            + 15 * greatest(0, 1 - open_tickets / 3.0)
        AS decimal(38, 9)), 0) END AS health_score
    FROM staged
)

SELECT
    cast(customer_id AS varchar) AS customer_id,
    cast(acquisition_channel AS varchar) AS acquisition_channel,
    cast(cohort_month AS date) AS cohort_month,
    cast(first_order_at AS timestamp) AS first_order_at,
    cast(last_order_at AS timestamp) AS last_order_at,
    cast(first_completed_order_at AS timestamp) AS first_completed_order_at,
    cast(last_completed_order_at AS timestamp) AS last_completed_order_at,
    cast(completed_orders AS bigint) AS completed_orders,
    cast(refunded_orders AS bigint) AS refunded_orders,
    cast(cancelled_orders AS bigint) AS cancelled_orders,
    cast(orders_without_fx_rate AS bigint) AS orders_without_fx_rate,
    cast(round(cast(coalesce(gross_revenue, 0) AS decimal(38, 9)), 2) AS decimal(18, 2)) AS gross_revenue,
    cast(round(cast(coalesce(refunds, 0) AS decimal(38, 9)), 2) AS decimal(18, 2)) AS refunds,
    cast(round(cast(coalesce(net_revenue, 0) AS decimal(38, 9)), 2) AS decimal(18, 2)) AS net_revenue,
    cast(round(cast(coalesce(net_margin, 0) AS decimal(38, 9)), 2) AS decimal(18, 2)) AS net_margin,
    has_estimated_margin,
    cast(round(cast(net_revenue / nullif(completed_orders, 0) AS decimal(38, 9)), 2) AS decimal(18, 2)) AS average_order_value,
    cast(round(cast(365.0 * completed_orders / greatest(tenure_days, 30) AS decimal(38, 9)), 4) AS double) AS purchase_frequency_per_year,
    cast(round(cast(coalesce(net_margin, 0) AS decimal(38, 9)), 2) AS decimal(18, 2)) AS historical_clv_margin,
    cast(round(cast(coalesce(net_revenue, 0) AS decimal(38, 9)), 2) AS decimal(18, 2)) AS historical_clv_revenue,
    cast(as_of_date AS date) AS as_of_date,
    cast(days_since_last_order AS integer) AS days_since_last_order,
    cast(tenure_days AS integer) AS tenure_days,
    cast(tickets AS bigint) AS tickets,
    cast(open_tickets AS bigint) AS open_tickets,
    cast(round(cast(median_first_response_hours AS decimal(38, 9)), 2) AS double) AS median_first_response_hours,
    cast(round(cast(median_resolution_hours AS decimal(38, 9)), 2) AS double) AS median_resolution_hours,
    cast(round(cast(avg_ticket_csat AS decimal(38, 9)), 2) AS double) AS avg_ticket_csat,
    cast(latest_nps_score AS integer) AS latest_nps_score,
    cast(latest_nps_category AS varchar) AS latest_nps_category,
    cast(recency_score AS integer) AS recency_score,
    cast(frequency_score AS integer) AS frequency_score,
    cast(monetary_score AS integer) AS monetary_score,
    cast(rfm_segment AS varchar) AS rfm_segment,
    cast(lifecycle_stage AS varchar) AS lifecycle_stage,
    is_churned,
    cast(health_score AS integer) AS health_score
FROM health;


-- marts.cohort_retention: every month from each cohort's first to the as-of month (offsets
-- 0..599, as int_month_offsets), empty months included.
CREATE OR REPLACE TABLE reference.cohort_retention AS
WITH cohorts AS (
    SELECT cohort_month, count(*) AS cohort_size
    FROM customers_acquired
    GROUP BY cohort_month
),

spine AS (
    SELECT
        cohorts.cohort_month,
        cohorts.cohort_size,
        offsets.month_offset AS months_since_first_order
    FROM cohorts
    CROSS JOIN as_of
    INNER JOIN (SELECT cast(range AS integer) AS month_offset FROM range(600)) AS offsets
        ON offsets.month_offset <= date_diff('month', cohorts.cohort_month::timestamp,
                                             cast(date_trunc('month', as_of.as_of_date) AS date)::timestamp)
),

activity AS (
    SELECT
        acquired.cohort_month,
        date_diff('month', acquired.cohort_month::timestamp, orders.order_month::timestamp) AS months_since_first_order,
        count(DISTINCT orders.customer_id) AS active_customers,
        count(*) AS orders,
        sum(orders.net_revenue) AS net_revenue,
        sum(orders.net_margin) AS net_margin
    FROM orders_converted AS orders
    INNER JOIN customers_acquired AS acquired ON acquired.customer_id = orders.customer_id
    WHERE orders.is_completed
    GROUP BY 1, 2
),

curves AS (
    SELECT
        spine.cohort_month,
        spine.months_since_first_order,
        spine.cohort_size,
        coalesce(activity.active_customers, 0) AS active_customers,
        coalesce(activity.orders, 0) AS orders,
        coalesce(activity.net_revenue, 0) AS net_revenue,
        coalesce(activity.net_margin, 0) AS net_margin,
        sum(coalesce(activity.net_revenue, 0)) OVER (
            PARTITION BY spine.cohort_month ORDER BY spine.months_since_first_order
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS cumulative_net_revenue,
        sum(coalesce(activity.net_margin, 0)) OVER (
            PARTITION BY spine.cohort_month ORDER BY spine.months_since_first_order
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS cumulative_net_margin
    FROM spine
    LEFT JOIN activity
        ON activity.cohort_month = spine.cohort_month
        AND activity.months_since_first_order = spine.months_since_first_order
)

SELECT
    cast(cohort_month AS date) AS cohort_month,
    cast(months_since_first_order AS integer) AS months_since_first_order,
    cast(cohort_month + cast(months_since_first_order AS bigint) * INTERVAL 1 MONTH AS date) AS activity_month,
    cast(cohort_size AS bigint) AS cohort_size,
    cast(active_customers AS bigint) AS active_customers,
    cast(round(cast(1.0 * active_customers / cohort_size AS decimal(38, 9)), 4) AS double) AS retention_rate,
    cast(orders AS bigint) AS orders,
    cast(round(cast(net_revenue AS decimal(38, 9)), 2) AS decimal(18, 2)) AS net_revenue,
    cast(round(cast(net_margin AS decimal(38, 9)), 2) AS decimal(18, 2)) AS net_margin,
    cast(round(cast(cumulative_net_revenue / cohort_size AS decimal(38, 9)), 2) AS decimal(18, 2)) AS cumulative_net_revenue_per_customer,
    cast(round(cast(cumulative_net_margin / cohort_size AS decimal(38, 9)), 2) AS decimal(18, 2)) AS cumulative_net_margin_per_customer
FROM curves;


-- marts.nps_monthly: NPS over `nps` answers (promoters 9-10, passives 7-8, detractors 0-6),
-- CSAT % = share of 4-5 `csat` answers, per response month (the survey_aggregates macro), apart
-- for buyers (a completed order) and prospects.
CREATE OR REPLACE TABLE reference.nps_monthly AS
SELECT
    cast(date_trunc('month', responded_at) AS date) AS response_month,
    customers_acquired.customer_id IS NOT NULL AS is_buyer,
    cast(sum(CASE WHEN survey_type = 'nps' THEN 1 ELSE 0 END) AS bigint) AS nps_responses,
    cast(sum(CASE WHEN survey_type = 'nps' AND score >= 9 THEN 1 ELSE 0 END) AS bigint) AS promoters,
    cast(sum(CASE WHEN survey_type = 'nps' AND score BETWEEN 7 AND 8 THEN 1 ELSE 0 END) AS bigint) AS passives,
    cast(sum(CASE WHEN survey_type = 'nps' AND score <= 6 THEN 1 ELSE 0 END) AS bigint) AS detractors,
    cast(round(cast(100.0 * (sum(CASE WHEN survey_type = 'nps' AND score >= 9 THEN 1 ELSE 0 END)
                        - sum(CASE WHEN survey_type = 'nps' AND score <= 6 THEN 1 ELSE 0 END))
               / nullif(sum(CASE WHEN survey_type = 'nps' THEN 1 ELSE 0 END), 0) AS decimal(38, 9)), 2) AS double) AS nps,
    cast(sum(CASE WHEN survey_type = 'csat' THEN 1 ELSE 0 END) AS bigint) AS csat_responses,
    cast(round(cast(100.0 * sum(CASE WHEN survey_type = 'csat' AND score >= 4 THEN 1 ELSE 0 END)
               / nullif(sum(CASE WHEN survey_type = 'csat' THEN 1 ELSE 0 END), 0) AS decimal(38, 9)), 2) AS double) AS csat_pct
FROM stg_responses
LEFT JOIN customers_acquired USING (customer_id)
GROUP BY 1, 2;
