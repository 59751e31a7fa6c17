"""DuckDB's memory limit follows the machine, the environment variable overrides it, and a model that runs
out of memory is named in one line with the setting to raise."""

import duckdb
import pytest

from orchestration.lib import settings
from orchestration.lib.warehouse import memory

GIB = 2**30


@pytest.mark.parametrize(
    ("machine", "expected"),
    [
        (24 * GIB, "3072MiB"),  # an eighth of the machine
        (48 * GIB, "6144MiB"),
        (16 * GIB, "2048MiB"),
        (2 * GIB, "1024MiB"),  # never below the floor
    ],
)
def test_the_default_limit_is_an_eighth_of_the_machine(machine, expected):
    assert memory.default_memory_limit(machine) == expected


def test_a_container_limit_below_the_machine_bounds_it(tmp_path, monkeypatch):
    limit = tmp_path / "memory.max"
    limit.write_text(f"{4 * GIB}\n")
    monkeypatch.setattr(memory, "CGROUP_LIMITS", (limit,))
    assert memory.machine_memory_bytes() == 4 * GIB
    limit.write_text("max\n")  # no limit: the machine's memory
    assert memory.machine_memory_bytes() > 4 * GIB


def test_the_environment_variable_overrides_the_default(monkeypatch):
    monkeypatch.setenv("LIFECYCLE_DUCKDB_MEMORY_LIMIT", "3GB")
    assert settings.duckdb_memory_limit() == "3GB"
    monkeypatch.setenv("LIFECYCLE_DUCKDB_MEMORY_LIMIT", "")
    assert settings.duckdb_memory_limit() == memory.default_memory_limit(memory.machine_memory_bytes())


def test_duckdb_reads_the_default_limit_as_given():
    limit = memory.default_memory_limit(24 * GIB)
    with duckdb.connect() as connection:
        connection.execute(f"SET memory_limit = '{limit}'")
        assert connection.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "3.0 GiB"


def test_the_models_that_ran_out_of_memory_are_named_with_the_setting_to_raise():
    run_results = {
        "results": [
            {"unique_id": "model.lifecycle.int_orders_converted", "status": "success", "message": "OK"},
            {
                "unique_id": "model.lifecycle.customers",
                "status": "error",
                "message": "Out of Memory Error: failed to allocate data of size 32.0 KiB (1.8 GiB/1.8 GiB used)",
            },
            {"unique_id": "test.lifecycle.primary_key_customers_customer_id.abc", "status": "skipped", "message": None},
            {"unique_id": "model.lifecycle.ltv_cac", "status": "error", "message": "Binder Error: no column x"},
        ]
    }
    assert memory.out_of_memory_models(run_results) == ["customers"]
    message = memory.out_of_memory_message("building customers", "2GB")
    assert message.startswith("Out of memory building customers: DuckDB may use 2GB (LIFECYCLE_DUCKDB_MEMORY_LIMIT)")
    assert "\n" not in message
