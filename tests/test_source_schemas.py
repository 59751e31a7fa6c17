"""The dbt sources declare every raw column with a portable type, matching what the pipeline writes.

Spark creates its external Parquet tables from these declarations, so a column added to the
contract (or to the CLV tables) without a matching `data_type` in the sources' yml would be
missing from, or mistyped in, those tables. Fast: reads yml and code, no warehouse.
"""

import re
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from orchestration.lib.clv_predictions import PREDICTION_COLUMNS, fits_table
from orchestration.lib.contract import LOAD_METADATA_COLUMNS, SOURCES, Source

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / "dbt_project" / "models"
CLV_ASSETS = ROOT / "orchestration" / "defs" / "clv" / "assets.py"

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


def _clv_cast_types() -> dict[str, str]:
    """Column -> DuckDB type, from every `CAST(x AS TYPE) AS x` in the CLV asset that writes clv.*.

    The f-string `CAST({name} AS DOUBLE) AS {name}` is expanded over PREDICTION_COLUMNS. The CLV tables'
    column names do not overlap, so one mapping serves both; a name cast to two types fails here.
    """
    code = CLV_ASSETS.read_text()
    types: dict[str, set[str]] = {}
    for name, type_ in re.findall(r"CAST\((\{?\w+\}?) AS (\w+)\) AS \1", code):
        for column in PREDICTION_COLUMNS if name == "{name}" else (name,):
            types.setdefault(column, set()).add(type_)
    assert all(len(found) == 1 for found in types.values()), f"a column is cast to several types: {types}"
    return {column: found.pop() for column, found in types.items()}


@pytest.mark.parametrize(
    ("table", "written_columns"),
    [
        # The predictions frame's customer_id index, PREDICTION_COLUMNS, then the purchase_model it is given.
        ("clv_predictions", ["customer_id", *PREDICTION_COLUMNS, "purchase_model"]),
        ("clv_model_fits", list(fits_table([], as_of=date(2024, 1, 1), fitted_at=datetime(2024, 1, 1)).columns)),
    ],
)
def test_clv_source_lists_the_written_columns(table, written_columns):
    cast_types = _clv_cast_types()
    missing = [name for name in written_columns if name not in cast_types]
    assert not missing, f"{CLV_ASSETS} casts no type for {missing}"
    assert DECLARED[("clv", table)] == [(name, PORTABLE_TYPES[cast_types[name]]) for name in written_columns]
