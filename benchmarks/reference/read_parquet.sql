-- The reference's reader for Parquet landing files (run_reference.py runs it before marts.sql).
-- Parquet files carry their types; timestamps (or their text) are read as ingestion reads them, naive
-- values as UTC (TIMESTAMPTZ, as the CSV reader gives them), dates as dates.

-- Delivery order, as ingestion assigns load ids: by modification time, then path (discover() in
-- orchestration/lib/ingest/discover.py). DuckDB reports modification times to the second, ingestion
-- to the nanosecond, so two deliveries of one key within the same second may rank differently.
-- read_blob does not read the files' contents unless they are selected.
CREATE TEMP TABLE deliveries AS
SELECT filename, row_number() OVER (ORDER BY last_modified, filename) AS delivery
FROM read_blob('{landing}/*/**/*.parquet');

CREATE TEMP VIEW landed_orders AS
SELECT * REPLACE (CAST(ordered_at AS TIMESTAMPTZ) AS ordered_at)
FROM read_parquet('{landing}/orders/**/*.parquet', union_by_name = true, filename = true);

CREATE TEMP VIEW landed_support_tickets AS
SELECT * REPLACE (
    CAST(created_at AS TIMESTAMPTZ) AS created_at,
    CAST(first_response_at AS TIMESTAMPTZ) AS first_response_at,
    CAST(resolved_at AS TIMESTAMPTZ) AS resolved_at
)
FROM read_parquet('{landing}/support_tickets/**/*.parquet', union_by_name = true, filename = true);

CREATE TEMP VIEW landed_survey_responses AS
SELECT * REPLACE (CAST(responded_at AS TIMESTAMPTZ) AS responded_at)
FROM read_parquet('{landing}/survey_responses/**/*.parquet', union_by_name = true, filename = true);

CREATE TEMP VIEW landed_fx_rates AS
SELECT * REPLACE (CAST(rate_date AS DATE) AS rate_date)
FROM read_parquet('{landing}/fx_rates/**/*.parquet', union_by_name = true, filename = true);
