"""What several test modules share: writing landing files, running the real job, the schema types."""

import hashlib
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from tools.fingerprint import RUN_TIME_COLUMNS, Fingerprint, differing_rows, fingerprints, rows_in_one_only

MODELS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "models"

ORDERS_HEADER = "order_id,customer_id,ordered_at,status,currency,amount,cost,channel,customer_email"


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def run_lifecycle_job(
    *selection: str, run_config: dict | None = None, instance: dg.DagsterInstance | None = None
) -> dg.ExecuteInProcessResult:
    """Run the real job in process; `selection` (asset key strings like "shop/orders") runs a subset; a run
    that must see an earlier one's materializations shares its `instance` (default: a fresh ephemeral one)."""
    from orchestration.definitions import defs

    job = defs.resolve_job_def("lifecycle_job")
    asset_selection = [dg.AssetKey.from_user_string(key) for key in selection] or None
    return job.execute_in_process(
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
        asset_selection=asset_selection,
        run_config=run_config,
    )


# With the orders' first table, their conversion: their staging is a view, and the tickets' and responses'
# relationships tests read the customers from it.
RAW_AND_STAGING = (
    "shop/orders",
    "support/tickets",
    "surveys/responses",
    "marketing/spend",
    "finance/fx_rates",
    "staging/stg_shop__orders",
    "staging/stg_support__tickets",
    "staging/stg_surveys__responses",
    "staging/stg_marketing__spend",
    "staging/stg_finance__fx_rates",
    "intermediate/int_fx_rates_resolved",
    "intermediate/int_orders_converted",
)


def warehouse_fingerprint(warehouse: Path) -> tuple:
    """The warehouse file's bytes and modification time, the files beside it, and its ledger's row counts: what
    a command that must write nothing leaves as it was."""
    from orchestration.lib.ingest import ledger

    stat = warehouse.stat()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        counts = [
            connection.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            for table in (ledger.LEDGER, ledger.BLOCKED, ledger.SKIPPED, ledger.HASHES)
        ]
    digest = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    return digest, stat.st_mtime_ns, sorted(path.name for path in warehouse.parent.iterdir()), counts


def declared_sources() -> dict[tuple[str, str], list[tuple[str, str | None]]]:
    """(source, table) -> [(column, data_type)] from every yml under the dbt project's models/."""
    declared = {}
    for path in sorted(MODELS_DIR.rglob("*.yml")):
        for source in (yaml.safe_load(path.read_text()) or {}).get("sources") or []:
            for table in source.get("tables") or []:
                key = (source["name"], table["name"])
                assert key not in declared, f"source {key} declared twice"
                declared[key] = [(column["name"], column.get("data_type")) for column in table.get("columns") or []]
    return declared


def publish_generated_data(
    root: Path, customers: int, seed: int, prepare: Callable[[Path], None] | None = None
) -> tuple[Path, dg.ExecuteInProcessResult]:
    """Generate a landing zone under `root` (and `prepare` it: planted changes), run the whole job on it with a
    warehouse and serving file of its own; return the serving file (the report is beside it) and the run's result."""
    from tools.sample_data import generate

    serving = root / "serving" / "lifecycle.duckdb"
    generate(root / "landing", customers=customers, seed=seed)
    if prepare:
        prepare(root / "landing")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIFECYCLE_LANDING_DIR", str(root / "landing"))
        patch.setenv("LIFECYCLE_WAREHOUSE", str(root / "warehouse.duckdb"))
        patch.setenv("LIFECYCLE_SERVING", str(serving))
        patch.delenv("LIFECYCLE_AS_OF", raising=False)
        result = run_lifecycle_job()
    assert result.success, [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    return serving, result


def mart_differences(one_file: Path, other_file: Path, schemas: tuple[str, ...] = ("marts",)) -> dict[str, int]:
    """Rows in one DuckDB file and not the other, per table of `schemas` (doubles compared to 1e-9, run times
    left out); every mart but the holdout tracking must have rows."""
    differences = {}
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{one_file}' AS one (READ_ONLY)")
        connection.execute(f"ATTACH '{other_file}' AS other (READ_ONLY)")
        tables = connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'other' "
            "AND list_contains(?, schema_name) ORDER BY ALL",
            [list(schemas)],
        ).fetchall()
        assert len(tables) >= 8
        for schema, table in tables:
            columns = connection.execute(
                "SELECT column_name, data_type FROM duckdb_columns() "
                "WHERE database_name = 'other' AND schema_name = ? AND table_name = ? ORDER BY column_index",
                [schema, table],
            ).fetchall()
            compared = [(name, kind) for name, kind in columns if name not in RUN_TIME_COLUMNS]
            count = rows_in_one_only(connection, f"one.{schema}.{table}", f"other.{schema}.{table}", compared)
            rows = connection.execute(f"SELECT count(*) FROM other.{schema}.{table}").fetchall()[0][0]
            differences[f"{schema}.{table}"] = count
            assert rows > 0 or schema != "marts" or table == "clv_holdout_tracking", f"{schema}.{table} is empty"
    return differences


# The marts that read the audience history as well as the files: the same files built by other runs give the
# same members but other changes, sizes over time and `member_since`.
HISTORY_MARTS = ("audience_members", "audience_changes", "audiences", "audience_sizes")


def without_history(marts: dict) -> dict:
    """Mart name -> anything, without the marts that depend on the runs as well as the files."""
    return {name: value for name, value in marts.items() if name.rsplit(".", 1)[-1] not in HISTORY_MARTS}


def audience_membership(serving_file: Path) -> set[tuple]:
    """Who is in which audience, with the priority, reason and value at stake: all but since when."""
    with duckdb.connect(str(serving_file), read_only=True) as connection:
        return set(
            connection.execute(
                "SELECT audience, customer_id, priority, reason, value_at_stake FROM marts.audience_members"
            ).fetchall()
        )


def assert_same_marts(
    expected_serving: Path, actual_serving: Path, builds: str
) -> tuple[dict[str, Fingerprint], dict[str, Fingerprint]]:
    """Two builds of the same files published the same marts: same columns, rows and checksum each (`builds`
    names them, left then right, in the message, with the rows only one of them has); returns both fingerprints."""
    expected, actual = fingerprints(expected_serving), fingerprints(actual_serving)
    assert sorted(actual) == sorted(expected)
    differences = {
        mart: (
            f"columns {expected[mart].columns} vs {actual[mart].columns}"
            if expected[mart].columns != actual[mart].columns
            else differing_rows(expected_serving, actual_serving, mart)
        )
        for mart in expected
        if expected[mart] != actual[mart]
    }
    assert not differences, f"marts differ between {builds}: " + "; ".join(
        f"{mart}: {rows}" for mart, rows in differences.items()
    )
    return expected, actual
