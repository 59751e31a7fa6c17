-- The reference's reader for CSV landing files (run_reference.py runs it before marts.sql).
-- Read as ingestion reads (orchestration/lib/ingest/read.py, row_rules.py): the dialect is fixed, not
-- sniffed, columns match by name, timestamps keep their offset (TIMESTAMPTZ), whole numbers may be
-- written "4.0". Every column marts.sql reads gets its contract type, the rest stay text
-- (auto_type_candidates): type sniffing would cost more time than the reading itself, so
-- sample_size only has to find the header.

-- Delivery order, as ingestion assigns load ids: by modification time, then path (discover() in
-- orchestration/lib/ingest/discover.py). DuckDB reports modification times to the second, ingestion
-- to the nanosecond, so two deliveries of one key within the same second may rank differently.
-- read_blob does not read the files' contents unless they are selected.
CREATE TEMP TABLE deliveries AS
SELECT filename, row_number() OVER (ORDER BY last_modified, filename) AS delivery
FROM read_blob('{landing}/*/**/*.csv');

CREATE TEMP VIEW landed_orders AS
SELECT * FROM read_csv(
    '{landing}/orders/**/*.csv', header = true, delim = ',', quote = '"', escape = '"',
    union_by_name = true, filename = true, auto_type_candidates = ['VARCHAR'], sample_size = 1024,
    types = {'order_id': 'VARCHAR', 'customer_id': 'VARCHAR', 'ordered_at': 'TIMESTAMPTZ', 'status': 'VARCHAR',
             'currency': 'VARCHAR', 'amount': 'DOUBLE', 'cost': 'DOUBLE', 'channel': 'VARCHAR'}
);

CREATE TEMP VIEW landed_support_tickets AS
SELECT * FROM read_csv(
    '{landing}/support_tickets/**/*.csv', header = true, delim = ',', quote = '"', escape = '"',
    union_by_name = true, filename = true, auto_type_candidates = ['VARCHAR'], sample_size = 1024,
    types = {'ticket_id': 'VARCHAR', 'customer_id': 'VARCHAR', 'created_at': 'TIMESTAMPTZ',
             'first_response_at': 'TIMESTAMPTZ', 'resolved_at': 'TIMESTAMPTZ', 'status': 'VARCHAR',
             'csat_score': 'DOUBLE'}
);

CREATE TEMP VIEW landed_survey_responses AS
SELECT * FROM read_csv(
    '{landing}/survey_responses/**/*.csv', header = true, delim = ',', quote = '"', escape = '"',
    union_by_name = true, filename = true, auto_type_candidates = ['VARCHAR'], sample_size = 1024,
    types = {'response_id': 'VARCHAR', 'customer_id': 'VARCHAR', 'responded_at': 'TIMESTAMPTZ',
             'survey_type': 'VARCHAR', 'score': 'DOUBLE'}
);

CREATE TEMP VIEW landed_fx_rates AS
SELECT * FROM read_csv(
    '{landing}/fx_rates/**/*.csv', header = true, delim = ',', quote = '"', escape = '"',
    union_by_name = true, filename = true, auto_type_candidates = ['VARCHAR'], sample_size = 1024,
    types = {'rate_date': 'DATE', 'currency': 'VARCHAR', 'rate_to_reporting': 'DOUBLE'}
);
