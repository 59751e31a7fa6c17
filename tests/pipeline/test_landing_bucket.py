"""Landing and the raw lake in a bucket, on the DuckDB engine: a real S3 server (SeaweedFS) on 127.0.0.1.

Exports usually land in a bucket: ingest lists it, reads each new object once, knows an unchanged one by its
ETag, writes the lake as whole objects; an object deleted after it was ingested loses nothing. The store's
faults are in the cluster tier (tests/cluster/test_object_store_faults.py).
"""

import hashlib

import duckdb

from orchestration.lib import settings, storage
from orchestration.lib.ingest.arrivals import landing_state
from orchestration.lib.ingest.contract import SOURCES
from tests.helpers import run_lifecycle_job

RAW = ("shop/orders", "support/tickets", "surveys/responses", "marketing/spend", "finance/fx_rates")


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

    # The landing sensor's view is the bucket's listing: every object with its size.
    state = landing_state(settings.landing_root(), SOURCES)
    assert {path: size for path, (size, _) in state.items()} == {
        path: (generated / path).stat().st_size for path in files
    }

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
