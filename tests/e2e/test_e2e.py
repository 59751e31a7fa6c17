"""The slower tier (`make test-e2e`): the default-sized sample, end to end, twice."""

import duckdb
import pytest

from tests.helpers import run_lifecycle_job
from tools.sample_data import generate

pytestmark = pytest.mark.e2e


def test_default_sample_end_to_end_and_an_idempotent_rerun(landing, tmp_path, monkeypatch):
    serving = tmp_path / "serving" / "lifecycle.duckdb"
    monkeypatch.setenv("LIFECYCLE_SERVING", str(serving))
    written = generate(landing, customers=5000, seed=42)
    first = run_lifecycle_job()
    assert first.success
    with duckdb.connect(str(serving), read_only=True) as connection:
        customers = connection.execute(
            "SELECT count(*), sum(net_revenue), count(predicted_clv_12m) FROM marts.customers"
        ).fetchall()
        assert customers[0][0] == 5000 and customers[0][2] > 4000
        assert connection.execute(
            "SELECT count(*) FROM marts.cohort_retention WHERE months_since_first_order = 0 AND retention_rate <> 1"
        ).fetchall() == [(0,)]
    assert written["orders"] > 10_000

    second = run_lifecycle_job()
    assert second.success
    with duckdb.connect(str(serving), read_only=True) as connection:
        assert (
            connection.execute(
                "SELECT count(*), sum(net_revenue), count(predicted_clv_12m) FROM marts.customers"
            ).fetchall()
            == customers
        )
