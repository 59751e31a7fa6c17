"""`check` after a real run: the files the run loaded are unchanged, and nothing the run wrote is touched."""

import hashlib

from orchestration.cli.arguments import main
from orchestration.lib.ingest.contract import SOURCES
from tests.helpers import warehouse_fingerprint


def test_after_a_run_every_file_is_unchanged_and_the_warehouse_and_serving_file_are_left_as_they_were(
    published_sample, monkeypatch, capsys
):
    serving, _ = published_sample
    root = serving.parent.parent  # tests.helpers.publish_generated_data's layout
    landing, warehouse = root / "landing", root / "warehouse.duckdb"
    files = {
        source.folder: sum(1 for path in (landing / source.folder).iterdir() if path.is_file()) for source in SOURCES
    }

    def published() -> tuple:
        serving_file = hashlib.sha256(serving.read_bytes()).hexdigest(), serving.stat().st_mtime_ns
        return warehouse_fingerprint(warehouse), serving_file

    before = published()
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(warehouse))
    status = main(["check", str(landing)])
    lines = capsys.readouterr().out.splitlines()

    assert status == 0
    for folder, count in files.items():
        index = lines.index(f"{folder}/")
        assert lines[index + 1] == f"  unchanged  {count} files loaded before as they are now, not read again"
    assert (
        lines[-1]
        == f"Nothing would be blocked. 0 files accepted (0 rows, 0 quarantined); {sum(files.values())} unchanged."
    )
    assert published() == before
