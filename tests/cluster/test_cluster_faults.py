"""Faults of the cluster path that need no running stack: each a clear error naming the piece and where it is."""

import pytest

from tests.helpers import run_lifecycle_job
from tests.pipeline.test_pipeline_faults import step_failures
from tools.cluster.ports import free_port
from tools.sample_data import generate

pytestmark = pytest.mark.cluster


def test_an_unreachable_spark_server_is_named_before_dbt_runs(landing, tmp_path, monkeypatch):
    generate(landing, customers=100, seed=3)
    thrift, connect = free_port(), free_port()  # nothing listens on them
    monkeypatch.setenv("LIFECYCLE_ENGINE", "spark")
    monkeypatch.setenv("LIFECYCLE_SPARK_THRIFT", f"127.0.0.1:{thrift}")
    monkeypatch.setenv("LIFECYCLE_SPARK_CONNECT", f"sc://127.0.0.1:{connect}")
    result = run_lifecycle_job()
    assert not result.success
    failures = step_failures(result)
    assert list(failures) == ["dbt_models_before_clv"]
    message = failures["dbt_models_before_clv"]
    assert f"Spark Thrift server (LIFECYCLE_SPARK_THRIFT, dbt) at 127.0.0.1:{thrift} is unreachable" in message
    assert f"at 127.0.0.1:{connect} is unreachable" in message
    assert "Traceback" not in message
    assert not (tmp_path / "serving").exists()
