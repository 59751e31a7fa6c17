"""The pipeline's command line, `python -m orchestration.cli <command>`:

`run`: materialize the whole pipeline through Dagster and summarise it (`--as-of 2025-03-31`: the marts as
they were that day, published beside the current ones). `check [FOLDER|s3://bucket/prefix]`: judge a landing
folder as the next run would, writing nothing (exit 1 when a file would be blocked). `quarantine orders
fix.csv`: export quarantined rows to correct and replay. `skip orders/2024-03.csv`: leave a known-bad landing
file unread, without deleting it. `dbt build -s customers`: dbt by hand, with the pipeline's resolved
settings. `report`: the published report's path (opened on a desktop). `docs`: dbt's docs site beside the
serving file, served on 127.0.0.1.

`arguments` parses and dispatches, `launch` starts the run, `watch` shows its progress (`progress`, `display`,
from the events `run_events` hands on) and keeps the rest in its log (`run_log`), `summary` prints what it did,
`check` prints a landing folder's verdict, `commands` holds the other commands.
"""
