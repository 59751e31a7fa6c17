"""`python -m tools.dbt_sources`: write each landing source's dbt source declaration from the contract.

`dbt_project/models/staging/<system>/_<system>__sources.yml` declares `source('<system>', '<table>')` with
every column and its portable type, which Spark creates its raw tables from, and the rules on it as the
column's description for dbt's docs. It is rendered from `orchestration/lib/ingest/contract.py`, so a
source is declared once (`tests/unit/test_source_schemas.py` fails when a file differs from its rendering).
"""

from pathlib import Path

import yaml

from orchestration.lib.ingest.contract import (
    ISO_4217_CURRENCIES,
    LOAD_METADATA_COLUMNS,
    LOAD_METADATA_DESCRIPTIONS,
    PORTABLE_TYPES,
    SOURCES,
    Column,
    Source,
)
from orchestration.lib.ingest.lake import PARTITION
from orchestration.lib.settings import DBT_PROJECT_DIR

HEADER = (
    "# Generated from orchestration/lib/ingest/contract.py by `python -m tools.dbt_sources`: edit the contract,\n"
    "# then run it; tests/unit/test_source_schemas.py fails while this file differs from the contract.\n"
)
# The raw lake's partition column (orchestration/lib/ingest/lake.py), which Spark's raw tables carry too.
LAKE_PARTITION = {
    "name": PARTITION,
    "data_type": "date",
    "description": "Partition of the raw lake: the day the delivery was loaded (UTC).",
}


class _IndentedLists(yaml.SafeDumper):
    """Lists indented under their key, as the project's hand-written YAML has them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def sources_file(source: Source) -> Path:
    return DBT_PROJECT_DIR / "models" / "staging" / source.system / f"_{source.system}__sources.yml"


def _description(source: Source, column: Column) -> str:
    parts = [column.description[:1].upper() + column.description[1:]] if column.description else []
    if source.key == (column.name,):
        parts.append("Key")
    if column.accepted_values == ISO_4217_CURRENCIES:
        parts.append("an ISO 4217 currency code")
    elif column.accepted_values:
        parts.append(" | ".join(column.accepted_values))
    if column.min_value is not None:
        parts.append(f">= {column.min_value:g}")
    if column.max_value is not None:
        parts.append(f"<= {column.max_value:g}")
    parts += [f">= {ordering.earlier}" for ordering in source.orderings if ordering.later == column.name]
    parts += [
        f"{rule.when_value} {rule.min_value}-{rule.max_value}"
        for rule in source.score_ranges
        if rule.column == column.name
    ]
    if column.nullable:
        parts.append("may be empty")
    return "; ".join(parts) + "." if parts else ""


def _column(name: str, data_type: str, description: str) -> dict:
    return {"name": name, "data_type": data_type, **({"description": description} if description else {})}


def render(source: Source) -> str:
    """The YAML of the source's dbt source declaration."""
    folder = f"the {'optional ' if source.optional else ''}`{source.folder}/` landing folder"
    columns = [_column(c.name, PORTABLE_TYPES[c.type], _description(source, c)) for c in source.columns]
    columns += [
        _column(name, PORTABLE_TYPES[type_], LOAD_METADATA_DESCRIPTIONS[name])
        for name, type_ in LOAD_METADATA_COLUMNS.items()
    ]
    columns.append(LAKE_PARTITION)
    declaration = {
        "sources": [
            {
                "name": source.system,
                "description": f"{source.description} Loaded from {folder}.",
                "schema": source.system,
                "config": {
                    "meta": {
                        "landing_folder": source.folder,
                        "key": list(source.key),
                        "event_column": source.event_column,
                    }
                },
                "tables": [
                    {
                        "name": source.table,
                        "description": "Every delivered version of every row, with the load metadata of its delivery.",
                        "columns": columns,
                    }
                ],
            }
        ]
    }
    return HEADER + yaml.dump(declaration, Dumper=_IndentedLists, sort_keys=False, width=120, allow_unicode=True)


def main() -> None:
    for source in SOURCES:
        path = sources_file(source)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(source))
    print(f"Wrote the dbt source declarations of {len(SOURCES)} sources from the contract")


if __name__ == "__main__":
    main()
