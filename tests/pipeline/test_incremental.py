"""The daily run is incremental, and gives exactly what a full rebuild of the same files gives."""

import duckdb

from tests.helpers import audience_membership, mart_differences, run_lifecycle_job, without_history
from tools.sample_data import generate, hold_back_day

LAST_DAY = "2025-12-31"
# The incremental intermediate models, and their columns that say when (or as of when) a row was worked out.
INCREMENTAL_MODELS = (
    "int_customer_order_summaries",
    "int_customer_purchase_days",
    "int_customer_support_summaries",
    "int_customer_costs",
    "int_customer_stage_history",
    "int_growth_flows_monthly",
)
STAMP_COLUMNS = {"summarised_at", "listed_at", "costed_at", "judged_at", "as_of_date", "computed_at"}


def _build(monkeypatch, landing, work):
    monkeypatch.setenv("LIFECYCLE_LANDING_DIR", str(landing))
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(work / "warehouse.duckdb"))
    monkeypatch.setenv("LIFECYCLE_SERVING", str(work / "serving" / "lifecycle.duckdb"))
    result = run_lifecycle_job()
    assert result.success
    return result


def _staged_rows(work) -> dict[str, int]:
    """Rows staged by the latest dbt build of each incremental staging table."""
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as connection:
        return {
            table: connection.execute(
                f"SELECT count(*) FILTER (WHERE staged_at = (SELECT max(staged_at) FROM staging.{table})) FROM "
                f"staging.{table}"
            ).fetchall()[0][0]
            for table in ("stg_support__tickets", "stg_surveys__responses")
        }


def _converted_again(work) -> list[tuple[str, object]]:
    """(order id, order date) of the orders converted by the latest build of the conversion."""
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(
            "SELECT order_id, order_date FROM intermediate.int_orders_converted "
            "WHERE converted_at = (SELECT max(converted_at) FROM intermediate.int_orders_converted)"
        ).fetchall()


def _share_rebuilt(work, model, stamp) -> float:
    """The share of an incremental model's rows that its latest build wrote."""
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(
            f"SELECT avg(CASE WHEN {stamp} = (SELECT max({stamp}) FROM intermediate.{model}) THEN 1.0 ELSE 0 END) "
            f"FROM intermediate.{model}"
        ).fetchall()[0][0]


def _total_orders(work) -> int:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute("SELECT count(*) FROM intermediate.int_orders_converted").fetchall()[0][0]


def _order_ids(*files) -> set[str]:
    with duckdb.connect() as connection:
        return {
            order_id
            for file in files
            for (order_id,) in connection.execute(
                f"SELECT order_id FROM read_csv('{file}', all_varchar = true)"
            ).fetchall()
        }


def _intermediate_differences(incremental_warehouse, full_warehouse) -> dict[str, int]:
    """Rows in one warehouse's incremental intermediate model and not the other's, stamps left out."""
    differences = {}
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{incremental_warehouse}' AS incremental (READ_ONLY)")
        connection.execute(f"ATTACH '{full_warehouse}' AS full_build (READ_ONLY)")
        for model in INCREMENTAL_MODELS:
            columns = connection.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'full_build' "
                "AND schema_name = 'intermediate' AND table_name = ? ORDER BY column_index",
                [model],
            ).fetchall()
            select = ", ".join(name for (name,) in columns if name not in STAMP_COLUMNS)
            one, other = (f"SELECT {select} FROM {db}.intermediate.{model}" for db in ("incremental", "full_build"))
            differences[model] = connection.execute(
                f"SELECT (SELECT count(*) FROM ({one} EXCEPT ALL {other})) + (SELECT count(*) FROM ({other} EXCEPT "
                f"ALL {one}))"
            ).fetchall()[0][0]
    return differences


def _redeliver_with_corrections(month_file) -> int:
    """The shop re-sends a month: one order gone (its customer's only one that month, with orders in the month
    before, so nothing else of theirs is re-sent), one completed order refunded, one order moved to another
    customer (from one with other orders that month). Returns the corrected file's rows."""
    with duckdb.connect() as connection:
        reader = f"read_csv('{month_file}', header = true, all_varchar = true)"
        month_before = f"read_csv('{month_file.with_name('orders_2025-05.csv')}', header = true, all_varchar = true)"
        connection.execute(f"CREATE TABLE month AS SELECT row_number() OVER () AS line, * FROM {reader}")
        [(gone,)] = connection.execute(
            "SELECT min(line) FROM month WHERE customer_id IN (SELECT customer_id FROM month GROUP BY 1 HAVING "
            "count(*) = 1) "
            f"AND customer_id IN (SELECT customer_id FROM {month_before})"
        ).fetchall()
        assert gone is not None
        [(refunded,)] = connection.execute(
            "SELECT min(line) FROM month WHERE status = 'completed' AND line <> ?", [gone]
        ).fetchall()
        [(moved,)] = connection.execute(
            "SELECT min(line) FROM month WHERE line NOT IN (?, ?) "
            "AND customer_id IN (SELECT customer_id FROM month GROUP BY 1 HAVING count(*) > 1)",
            [gone, refunded],
        ).fetchall()
        [(new_owner,)] = connection.execute(
            "SELECT max(customer_id) FROM month WHERE customer_id <> (SELECT customer_id FROM month WHERE line = ?)",
            [moved],
        ).fetchall()
        connection.execute("DELETE FROM month WHERE line = ?", [gone])
        connection.execute("UPDATE month SET status = 'refunded' WHERE line = ?", [refunded])
        connection.execute("UPDATE month SET customer_id = ? WHERE line = ?", [new_owner, moved])
        connection.execute("ALTER TABLE month DROP COLUMN line")
        connection.execute(f"COPY month TO '{month_file}' (HEADER, FORMAT csv)")
        return connection.execute("SELECT count(*) FROM month").fetchall()[0][0]


def _redeliver_with_a_late_rate(month_file, orders_folder) -> None:
    """The finance team corrects an earlier month's rate of a day with orders in that currency: those orders
    are converted again with it, and their customers summarised again."""
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        reader = f"read_csv('{month_file}', header = true, all_varchar = true)"
        orders = f"read_csv('{orders_folder}/*.csv', header = true, all_varchar = true)"
        connection.execute(f"CREATE TABLE rates AS SELECT row_number() OVER () AS line, * FROM {reader}")
        [(corrected,)] = connection.execute(
            f"SELECT min(line) FROM rates WHERE rate_date >= '2025-06-15' AND EXISTS (SELECT 1 FROM {orders} AS o "
            "WHERE o.currency = rates.currency AND CAST(CAST(o.ordered_at AS TIMESTAMPTZ) AS DATE) = "
            "CAST(rates.rate_date AS DATE))"
        ).fetchall()
        assert corrected is not None
        connection.execute(
            "UPDATE rates SET rate_to_reporting = CAST(round(CAST(rate_to_reporting AS DOUBLE) * 1.1, 6) AS VARCHAR) "
            "WHERE line = ?",
            [corrected],
        )
        connection.execute("ALTER TABLE rates DROP COLUMN line")
        connection.execute(f"COPY rates TO '{month_file}' (HEADER, FORMAT csv)")


def test_daily_run_equals_a_full_rebuild(tmp_path, monkeypatch):
    landing, day = tmp_path / "landing", tmp_path / "day"
    generate(landing, customers=5000, seed=7)
    held_back = hold_back_day(landing, LAST_DAY, day)
    assert held_back["orders"] > 0 and held_back["support_tickets"] > 0

    # A full build without the last day, then the day's files arrive and the daily run follows.
    incremental = tmp_path / "incremental"
    _build(monkeypatch, landing, incremental)
    for folder in day.iterdir():
        for file in folder.iterdir():
            (landing / folder.name / file.name).write_bytes(file.read_bytes())
    # ... with a corrected earlier month of orders and of rates: the customers whose orders changed, left
    # or were converted again are summarised again.
    redelivered = _redeliver_with_corrections(landing / "orders" / "orders_2025-06.csv")
    _redeliver_with_a_late_rate(landing / "fx_rates" / "fx_rates_2025-06.csv", landing / "orders")
    _build(monkeypatch, landing, incremental)
    # Its dbt started from the parse cache of the warehouse's own last build, whatever other builds wrote since.
    dbt_log = (incremental / "dbt" / "dbt_models_before_clv" / "dbt.log").read_text()
    last_invocation = dbt_log.split("Running with dbt=")[-1]
    assert "Unable to do partial parsing" not in last_invocation
    # Only the new and re-delivered orders, and those on or after the first day of the re-delivered rates
    # (the FX lookback), were staged and converted again; only the new tickets and responses were staged again.
    delivered = _order_ids(landing / "orders" / f"orders_{LAST_DAY}.csv", landing / "orders" / "orders_2025-06.csv")
    assert len(delivered) == held_back["orders"] + redelivered
    converted = _converted_again(incremental)
    assert delivered <= {order_id for order_id, _ in converted}
    assert all(str(order_date) >= "2025-06-01" for order_id, order_date in converted if order_id not in delivered)
    assert len(converted) < len(delivered) + 0.5 * _total_orders(incremental)
    # The people-level models worked out only the people something happened to.
    for model, stamp in (
        ("int_customer_stage_history", "judged_at"),
        ("int_customer_costs", "costed_at"),
        ("int_customer_support_summaries", "summarised_at"),
    ):
        assert 0 < _share_rebuilt(incremental, model, stamp) < 0.5, model
    # The purchase days of everyone with an order converted again: the re-delivered month and the
    # late rate's lookback touch most customers of this sample, but not all.
    assert 0 < _share_rebuilt(incremental, "int_customer_purchase_days", "listed_at") < 1
    staged = _staged_rows(incremental)
    assert staged["stg_support__tickets"] == held_back["support_tickets"]
    assert staged["stg_surveys__responses"] == held_back["survey_responses"]

    # The same files, from scratch.
    full = tmp_path / "full"
    _build(monkeypatch, landing, full)

    differences = mart_differences(incremental / "serving" / "lifecycle.duckdb", full / "serving" / "lifecycle.duckdb")
    # What the audience history adds depends on the runs, not only the files: the same members, but the daily
    # run's changes are against the day before, and its sizes have two dates.
    assert set(without_history(differences).values()) == {0}, differences
    assert audience_membership(incremental / "serving" / "lifecycle.duckdb") == audience_membership(
        full / "serving" / "lifecycle.duckdb"
    )
    # ... and so do the incremental models under them, row for row.
    differences = _intermediate_differences(incremental / "warehouse.duckdb", full / "warehouse.duckdb")
    assert set(differences.values()) == {0}, differences
