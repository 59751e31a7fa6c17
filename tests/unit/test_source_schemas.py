"""The dbt sources declare every raw column with a portable type, matching what the pipeline writes.

Spark creates its external Parquet tables from these declarations, so a column added to the
contract without a matching `data_type` in the sources' yml would be missing from, or mistyped
in, those tables. Fast: reads yml and code, no warehouse. The CLV tables, which a Python step
writes, are declared once in Python (`OUTPUT_TABLES`): the yml must say the same, and the tables as
written are compared with it where they are written (`tests/pipeline/test_marts.py`).
"""

import pytest

from orchestration.lib.clv.pipeline import OUTPUT_TABLES
from orchestration.lib.ingest.contract import LOAD_METADATA_COLUMNS, SOURCES, Source
from tests.helpers import PORTABLE_TYPES, declared_sources

# The raw lake's partition column (orchestration/lib/ingest/lake.py), declared on every raw source.
LOAD_DATE = ("load_date", "date")
DECLARED = declared_sources()


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.relation)
def test_raw_source_lists_contract_then_load_metadata_columns(source: Source):
    expected = [(column.name, PORTABLE_TYPES[column.type]) for column in source.columns]
    expected += [(name, PORTABLE_TYPES[type_]) for name, type_ in LOAD_METADATA_COLUMNS.items()]
    expected.append(LOAD_DATE)
    assert (source.system, source.table) in DECLARED, f"no dbt source {source.relation}"
    assert DECLARED[(source.system, source.table)] == expected


@pytest.mark.parametrize("table", sorted(OUTPUT_TABLES))
def test_clv_sources_declare_the_columns_the_clv_step_writes(table):
    expected = [(name, PORTABLE_TYPES[type_]) for name, type_ in OUTPUT_TABLES[table].items()]
    assert DECLARED[("clv", table)] == expected
