"""benchmarks.engines' growth between sizes, and what benchmarks.pipeline samples: memory by group of processes
and bytes on disk by folder."""

import os
import subprocess
import sys

from benchmarks.engines import growth
from benchmarks.pipeline import disk_bytes, rss_by_group


def engine(peak_rss_mb: float, disk_mb: float, folder_peak_mb: float, spark_mb: float | None = None) -> dict:
    watched = {"spark": spark_mb, "storage": 100.0} if spark_mb is not None else {}
    return {
        "peak_rss_mb": peak_rss_mb,
        "disk_mb": disk_mb,
        "folder_peak_mb": folder_peak_mb,
        "watched_peak_rss_mb": watched,
    }


def test_growth_is_the_largest_size_over_the_smallest_per_engine_and_the_spark_processes_on_the_cluster_only():
    small = {
        "customers": 5_000,
        "rows": {"orders": 14_000},
        "engines": {"duckdb": engine(700, 30, 40), "cluster": engine(600, 10, 12, spark_mb=5_000)},
    }
    large = {
        "customers": 50_000,
        "rows": {"orders": 140_000},
        "engines": {"duckdb": engine(1_050, 150, 200), "cluster": engine(720, 40, 60, spark_mb=6_000)},
    }

    grown = growth([large, small])

    assert grown["duckdb"] == {"orders": 10.0, "peak_rss": 1.5, "disk_after_build": 5.0, "disk_peak": 5.0}
    assert grown["cluster"] == {
        "orders": 10.0,
        "peak_rss": 1.2,
        "disk_after_build": 4.0,
        "disk_peak": 5.0,
        "spark_peak_rss": 1.2,
    }
    assert growth([small]) == {}


def test_a_groups_memory_counts_its_descendants_and_the_process_group_it_leads():
    # A child in a session of its own, as the cluster's pieces run: it leads its process group.
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; data = bytearray(50 * 2**20); time.sleep(30)"],
        start_new_session=True,
    )
    try:
        while rss_by_group({"child": [child.pid]})["child"] < 50 * 2**20:
            assert child.poll() is None
        used = rss_by_group({"me": [os.getpid()], "child": [child.pid], "gone": [2**22 + 1]})
    finally:
        child.kill()
        child.wait()

    assert used["me"] >= used["child"] >= 50 * 2**20
    assert used["gone"] == 0


def test_disk_bytes_are_the_blocks_allocated_under_each_entry_of_the_folder(tmp_path):
    (tmp_path / "serving" / "parquet").mkdir(parents=True)
    (tmp_path / "serving" / "parquet" / "customers.parquet").write_bytes(os.urandom(100_000))
    (tmp_path / "warehouse.duckdb").write_bytes(os.urandom(10_000))

    used = disk_bytes(tmp_path)

    assert set(used) == {"serving", "warehouse.duckdb"}
    assert 100_000 <= used["serving"] < 100_000 + 3 * 64 * 1024  # the file's blocks, and the two folders'
    assert 10_000 <= used["warehouse.duckdb"] < 10_000 + 64 * 1024
    assert disk_bytes(tmp_path / "missing") == {}
