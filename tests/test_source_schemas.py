"""The dbt sources declare every raw column with a portable type, matching what the pipeline writes.

Spark creates its external Parquet tables from these declarations, so a column added to the
contract without a matching `data_type` in the sources' yml would be missing from, or mistyped
in, those tables. Fast: reads yml and code, no warehouse. The CLV tables, which a Python step
writes, are compared with their declarations where they are written (`tests/test_marts.py`).
"""

from pathlib import Path

import pytest
import yaml

from orchestration.lib.contract import LOAD_METADATA_COLUMNS, SOURCES, Source

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / "dbt_project" / "models"

# DuckDB type -> name both Spark and DuckDB understand.
PORTABLE_TYPES = {
    "VARCHAR": "string",
    "DOUBLE": "double",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "BOOLEAN": "boolean",
}
# The raw lake's partition column (orchestration/lib/lake.py), declared on every raw source.
LOAD_DATE = ("load_date", "date")


def _declared_sources() -> dict[tuple[str, str], list[tuple[str, str | None]]]:
    """(source, table) -> [(column, data_type)] from every yml under models/."""
    declared = {}
    for path in sorted(MODELS_DIR.rglob("*.yml")):
        for source in (yaml.safe_load(path.read_text()) or {}).get("sources") or []:
            for table in source.get("tables") or []:
                key = (source["name"], table["name"])
                assert key not in declared, f"source {key} declared twice"
                declared[key] = [(column["name"], column.get("data_type")) for column in table.get("columns") or []]
    return declared


DECLARED = _declared_sources()


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.relation)
def test_raw_source_lists_contract_then_load_metadata_columns(source: Source):
    expected = [(column.name, PORTABLE_TYPES[column.type]) for column in source.columns]
    expected += [(name, PORTABLE_TYPES[type_]) for name, type_ in LOAD_METADATA_COLUMNS.items()]
    expected.append(LOAD_DATE)
    assert (source.system, source.table) in DECLARED, f"no dbt source {source.relation}"
    assert DECLARED[(source.system, source.table)] == expected
