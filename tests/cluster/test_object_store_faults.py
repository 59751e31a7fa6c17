"""Faults of object storage (the cluster tier): a real S3 server (SeaweedFS) on 127.0.0.1 refusing the
credentials, or stopped in the middle of ingest; each names the endpoint, never a secret, and loses nothing."""

import duckdb
import pytest

from orchestration.lib import storage
from tests.conftest import LANDING_BUCKET as LANDING
from tests.helpers import run_lifecycle_job
from tests.pipeline.test_landing_bucket import RAW
from tests.pipeline.test_pipeline_faults import step_failures

pytestmark = pytest.mark.cluster


def test_wrong_credentials_name_the_endpoint_and_never_the_secret(on_bucket, monkeypatch):
    store, _, _ = on_bucket
    wrong = "not-the-secret-" + store.secret_key[:6]
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    result = run_lifecycle_job(*RAW)
    assert not result.success
    [message] = step_failures(result).values()
    assert f"object storage at {store.endpoint}" in message and LANDING in message
    logged = "\n".join(str(event) for event in result.all_events)
    assert wrong not in logged and store.secret_key not in logged


def test_the_s3_server_stopped_during_ingest_fails_the_run_and_the_next_run_after_recovery_is_whole(
    on_bucket, tmp_path, monkeypatch
):
    store, _, generated = on_bucket
    fetch = storage.Root.fetch
    fetched = []

    def stopping_midway(root, relative_path, local):
        fetched.append(relative_path)
        if len(fetched) == 20:
            store.stop()
        return fetch(root, relative_path, local)

    monkeypatch.setattr(storage.Root, "fetch", stopping_midway)
    try:
        result = run_lifecycle_job()
    finally:
        store.start()
    assert not result.success
    [message] = step_failures(result).values()
    assert f"object storage at {store.endpoint}" in message
    assert not (tmp_path / "serving").exists()  # nothing was published

    monkeypatch.setattr(storage.Root, "fetch", fetch)
    assert run_lifecycle_job().success
    orders_lines = sum(len(path.read_text().splitlines()) - 1 for path in (generated / "orders").glob("*.csv"))
    with duckdb.connect(str(tmp_path / "warehouse" / "warehouse.duckdb"), read_only=True) as connection:
        rows = connection.execute("SELECT count(*) FROM shop.orders").fetchall()[0][0]
        deliveries = connection.execute("SELECT count(*) FROM ingest.file_ledger").fetchall()[0][0]
    assert rows == orders_lines  # each delivery's rows once: none twice after the failed run
    assert deliveries == len(list(generated.rglob("*.csv")))
