"""The lifecycle audience changes a CRM webhook is owed, cut into batches, and the ledger of batches it acknowledged.

dbt appends every change of audience membership to `history.audience_membership_changes`, one row per customer
who entered or exited an audience in a dbt run. The changes of one run and audience, ordered by change and
customer, are cut into batches of a fixed size, so a retry re-creates the same batches under the same
idempotency keys. A batch is recorded in `delivery.audience_webhook_batches` once the endpoint acknowledged it,
never before.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import groupby

import duckdb

CHANGES = "history.audience_membership_changes"
LEDGER = "delivery.audience_webhook_batches"
START = "delivery.audience_webhook_start"


@dataclass(frozen=True)
class Change:
    customer_id: str
    change: str  # entered | exited
    reason: str | None
    value_at_stake: Decimal | None
    member_since: date | None  # for an exit, when the membership began


@dataclass(frozen=True)
class Batch:
    run_id: str
    run_started_at: datetime
    as_of_date: date
    audience: str
    batch: int  # 1-based, within the run and audience
    batches: int  # how many the run and audience were cut into
    batch_size: int  # the size they were cut with
    changes: tuple[Change, ...]

    @property
    def idempotency_key(self) -> str:
        return f"{self.run_id}:{self.audience}:{self.batch}"


def ensure_ledger(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("CREATE SCHEMA IF NOT EXISTS delivery")
    connection.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {LEDGER} (
            run_id VARCHAR NOT NULL,
            audience VARCHAR NOT NULL,
            batch INTEGER NOT NULL,          -- 1-based, within the run and audience
            batches INTEGER NOT NULL,        -- how many the run and audience were cut into
            batch_size INTEGER NOT NULL,     -- the size they were cut with, kept for their remaining batches
            rows INTEGER NOT NULL,           -- changes in this batch
            idempotency_key VARCHAR NOT NULL,
            status_code INTEGER NOT NULL,    -- the acknowledging 2xx
            response VARCHAR NOT NULL,       -- the first 500 characters of the endpoint's answer
            delivered_at TIMESTAMP NOT NULL, -- UTC
            PRIMARY KEY (run_id, audience, batch)
        )
        """
    )
    connection.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {START} (
            run_id VARCHAR NOT NULL,         -- the oldest run the webhook is owed
            run_started_at TIMESTAMP NOT NULL,
            pinned_at TIMESTAMP NOT NULL     -- UTC
        )
        """
    )


def _pin_start(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        f"""
        INSERT INTO {START}
        SELECT run_id, run_started_at, now() AT TIME ZONE 'UTC' FROM {CHANGES}
        WHERE NOT EXISTS (SELECT 1 FROM {START})
        ORDER BY run_started_at DESC, run_id DESC LIMIT 1
        """
    )


def pending_batches(connection: duckdb.DuckDBPyConnection, batch_size: int) -> list[Batch]:
    """Every batch the webhook is owed and has not acknowledged, oldest run first (then by audience and batch).

    The webhook is owed every run from its start on: the latest run of the change log when this is first
    called with changes in it (a newly configured webhook does not replay the history), pinned then in
    `delivery.audience_webhook_start`. Pinned, rather than read from the oldest acknowledged batch, so that
    a first delivery that fails whole is still owed after the next dbt run appends a newer one.

    A run and audience with batches acknowledged keeps the size it was cut with, so that a changed
    `batch_size` does not move changes across the keys the endpoint has already seen. Needs a writable
    connection: it creates the ledger when missing, and pins the start.
    """
    ensure_ledger(connection)
    _pin_start(connection)
    rows = connection.execute(
        f"""
        WITH cut AS (SELECT run_id, audience, max(batch_size) AS batch_size FROM {LEDGER} GROUP BY ALL),
        owed AS (
            SELECT
                changes.*,
                coalesce(cut.batch_size, $batch_size) AS batch_size,
                row_number() OVER (
                    PARTITION BY changes.run_id, changes.audience ORDER BY changes.change, changes.customer_id
                ) - 1 AS position,
                count(*) OVER (PARTITION BY changes.run_id, changes.audience) AS changes_in_run
            FROM {CHANGES} AS changes
            LEFT JOIN cut USING (run_id, audience)
            WHERE changes.run_started_at >= (SELECT min(run_started_at) FROM {START})
        ),
        batched AS (
            SELECT
                *,
                position // batch_size + 1 AS batch,
                (changes_in_run + batch_size - 1) // batch_size AS batches
            FROM owed
        )
        SELECT
            run_id, run_started_at, as_of_date, audience, batch, batches, batch_size,
            customer_id, change, reason, value_at_stake, member_since
        FROM batched
        WHERE NOT EXISTS (
            SELECT 1 FROM {LEDGER} AS acknowledged
            WHERE acknowledged.run_id = batched.run_id
                AND acknowledged.audience = batched.audience
                AND acknowledged.batch = batched.batch
        )
        ORDER BY run_started_at, run_id, audience, batch, position
        """,
        {"batch_size": batch_size},
    ).fetchall()
    return list(_batches(rows))


def _batches(rows: list[tuple]) -> Iterator[Batch]:
    for _, group in groupby(rows, key=lambda row: (row[0], row[3], row[4])):  # run_id, audience, batch
        group = list(group)
        run_id, run_started_at, as_of_date, audience, batch, batches, batch_size = group[0][:7]
        yield Batch(
            run_id=run_id,
            run_started_at=run_started_at,
            as_of_date=as_of_date,
            audience=audience,
            batch=batch,
            batches=batches,
            batch_size=batch_size,
            changes=tuple(Change(*row[7:]) for row in group),
        )


def record_acknowledged(
    connection: duckdb.DuckDBPyConnection, batch: Batch, status_code: int, response: str, delivered_at: datetime
) -> None:
    """Record that the endpoint acknowledged `batch`: committed at once, so it is never sent again."""
    connection.execute(
        f"INSERT INTO {LEDGER} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            batch.run_id,
            batch.audience,
            batch.batch,
            batch.batches,
            batch.batch_size,
            len(batch.changes),
            batch.idempotency_key,
            status_code,
            response[:500],
            delivered_at,
        ],
    )
