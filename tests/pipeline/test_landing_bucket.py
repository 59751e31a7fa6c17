"""Landing and the raw lake in a bucket, on the DuckDB engine: a real S3 server (SeaweedFS) on 127.0.0.1.

Exports usually land in a bucket: ingest lists it, reads each new object once, knows an unchanged one by its
ETag, writes the lake as whole objects; an object deleted after it was ingested loses nothing; a refused
request names the endpoint and never the secret.
"""

import hashlib

import duckdb
import pytest
import s3fs

from orchestration.lib import storage
from tests.helpers import run_lifecycle_job
from tests.pipeline.test_pipeline_faults import step_failures
from tools.cluster.object_store import running_object_store
from tools.sample_data import generate

LANDING = "s3://landing/lifecycle"
LAKE = "s3://lake/lifecycle"
RAW = ("shop/orders", "support/tickets", "surveys/responses", "marketing/spend", "finance/fx_rates")


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    with running_object_store(tmp_path_factory.mktemp("s3")) as store:
        generated = tmp_path_factory.mktemp("generated")
        generate(generated, customers=150, seed=5)
        client = s3fs.S3FileSystem(
            endpoint_url=store.endpoint, key=store.access_key, secret=store.secret_key, skip_instance_cache=True
        )
        client.put(f"{generated}/", "landing/lifecycle/", recursive=True)
        yield store, client, generated


@pytest.fixture
def on_bucket(bucket, tmp_path, monkeypatch):
    store, client, generated = bucket
    for name, value in store.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LIFECYCLE_LANDING_DIR", LANDING)
    monkeypatch.setenv("LIFECYCLE_LAKE_DIR", f"{LAKE}/{tmp_path.name}")
    monkeypatch.setenv("LIFECYCLE_RAW_LAKE", "on")
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(tmp_path / "warehouse" / "warehouse.duckdb"))
    storage._filesystem.cache_clear()  # a client made with other credentials must not be reused
    yield store, client, generated
    storage._filesystem.cache_clear()


def _fetches(monkeypatch) -> list[str]:
    fetched = []
    fetch = storage.Root.fetch

    def counting(root, relative_path, local):
        fetched.append(relative_path)
        return fetch(root, relative_path, local)

    monkeypatch.setattr(storage.Root, "fetch", counting)
    return fetched


def test_a_landing_bucket_is_ingested_once_and_kept_whole_in_a_lake_bucket(on_bucket, tmp_path, monkeypatch):
    store, client, generated = on_bucket
    files = sorted(path.relative_to(generated).as_posix() for path in generated.rglob("*.csv"))
    fetched = _fetches(monkeypatch)
    assert run_lifecycle_job().success
    assert sorted(fetched) == files  # every object read once

    warehouse = tmp_path / "warehouse" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        ledger = dict(connection.execute("SELECT path, sha256 FROM ingest.file_ledger").fetchall())
        etags = connection.execute("SELECT count(*) FROM ingest.file_hashes WHERE etag IS NOT NULL").fetchall()
        orders = connection.execute("SELECT count(*) FROM shop.orders").fetchall()[0][0]
    assert ledger == {path: hashlib.sha256((generated / path).read_bytes()).hexdigest() for path in files}
    assert etags == [(len(files),)]
    orders_lines = sum(len(path.read_text().splitlines()) - 1 for path in (generated / "orders").glob("*.csv"))
    assert orders == orders_lines
    lake = client.find(f"lake/lifecycle/{tmp_path.name}/raw/shop/orders")
    assert len(lake) == len(list((generated / "orders").glob("*.csv")))
    assert not [key for key in client.find(f"lake/lifecycle/{tmp_path.name}") if "/." in key]

    # The next run knows every object from the listing (size and ETag): nothing is read again.
    fetched.clear()
    assert run_lifecycle_job(*RAW).success
    assert fetched == []

    # An object deleted from the landing bucket after it was ingested: the ledger, the raw table and the lake
    # keep what it brought.
    deleted = "orders/" + sorted((generated / "orders").glob("*.csv"))[0].name
    client.rm(f"landing/lifecycle/{deleted}")
    try:
        assert run_lifecycle_job(*RAW).success
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            assert connection.execute(
                "SELECT count(*) FROM ingest.file_ledger WHERE path = ?", [deleted]
            ).fetchall() == [(1,)]
            assert connection.execute("SELECT count(*) FROM shop.orders").fetchall()[0][0] == orders
        assert len(client.find(f"lake/lifecycle/{tmp_path.name}/raw/shop/orders")) == len(lake)
    finally:
        client.put(str(generated / deleted), f"landing/lifecycle/{deleted}")


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
