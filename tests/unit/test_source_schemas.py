"""A source is declared once, in the contract (`orchestration/lib/ingest/contract.py`); every other place
that names it is derived from it, and these tests fail when one disagrees.

The dbt source declarations are generated (`python -m tools.dbt_sources`): Spark creates its external Parquet
tables from them, so a column added to the contract but not to its source's yml would be missing from, or
mistyped in, those tables. The CLV tables, which a Python step writes, are declared once in Python
(`OUTPUT_TABLES`): the yml must say the same, and the tables as written are compared with it where they are
written (`tests/pipeline/test_marts.py`). Fast: reads yml and code, no warehouse.
"""

import dagster as dg
import pytest

from orchestration.cli.summary import schema_order
from orchestration.defs.automation.freshness import freshness_checks
from orchestration.lib.clv.pipeline import OUTPUT_TABLES
from orchestration.lib.ingest.contract import INTEGER, PORTABLE_TYPES, SOURCES, TEXT, TIMESTAMP, Column, Source
from tests.helpers import MODELS_DIR, declared_sources
from tools import contract_docs, dbt_sources

# A source that exists only here: adding it to (a copy of) the contract must reach every derived place.
THROWAWAY = Source(
    folder="refunds",
    system="payments",
    table="refunds",
    key=("refund_id",),
    event_column="refunded_at",
    freshness_days=4,
    description="One row per refund.",
    columns=(
        Column("refund_id", TEXT),
        Column("order_id", TEXT),
        Column("refunded_at", TIMESTAMP),
        Column("items", INTEGER, min_value=1),
    ),
)


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.relation)
def test_each_dbt_source_declaration_is_the_one_rendered_from_the_contract(source: Source):
    assert dbt_sources.sources_file(source).read_text() == dbt_sources.render(source), (
        f"{dbt_sources.sources_file(source)} differs from the contract: run `python -m tools.dbt_sources`"
    )


def test_every_raw_dbt_source_is_a_contract_source():
    raw = {key for key in declared_sources() if key[0] != "clv"}
    assert raw == {(source.system, source.table) for source in SOURCES}


@pytest.mark.parametrize("table", sorted(OUTPUT_TABLES))
def test_clv_sources_declare_the_columns_the_clv_step_writes(table):
    expected = [(name, PORTABLE_TYPES[type_]) for name, type_ in OUTPUT_TABLES[table].items()]
    assert declared_sources()[("clv", table)] == expected


def test_a_source_added_to_the_contract_reaches_every_derived_place(tmp_path, monkeypatch):
    sources = (*SOURCES, THROWAWAY)

    # its freshness check, with the contract's window
    keys = {key.asset_key for check in freshness_checks(sources) for key in check.check_keys}
    assert dg.AssetKey(["payments", "refunds"]) in keys
    monkeypatch.setenv("LIFECYCLE_FRESHNESS_DAYS", "refunds=0")
    assert dg.AssetKey(["payments", "refunds"]) not in {
        key.asset_key for check in freshness_checks(sources) for key in check.check_keys
    }

    # its raw tables counted in `make run`'s summary, after the other sources' and before staging
    order = schema_order(sources)
    assert order.index("finance") < order.index("payments") < order.index("staging")

    # its dbt source, with every column and the load metadata, typed for Spark
    monkeypatch.setattr(dbt_sources, "DBT_PROJECT_DIR", tmp_path)
    rendered = dbt_sources.render(THROWAWAY)
    assert dbt_sources.sources_file(THROWAWAY) == tmp_path / "models/staging/payments/_payments__sources.yml"
    for line in ("- name: payments", "- name: refunds", "- name: items", "data_type: int", "- name: _load_id"):
        assert line in rendered
    assert "Key." in rendered and ">= 1." in rendered

    # its column table in docs/input-contract.md
    assert "| `items` | integer | yes | `>= 1` |" in contract_docs.column_table(THROWAWAY)


def test_the_models_folder_holds_the_generated_declarations():
    assert all(dbt_sources.sources_file(source).is_relative_to(MODELS_DIR) for source in SOURCES)
