"""`python -m tools.contract_docs`: write the input contract's tables into docs/input-contract.md.

Each source's table stands between `<!-- contract:<folder>:begin -->` and `<!-- contract:<folder>:end -->`
and the freshness windows between `<!-- contract:freshness:begin -->` and its end; each is rendered
from `orchestration/lib/ingest/contract.py`, so the docs cannot drift from the code
(`tests/unit/test_docs.py` fails when they do).
"""

import re
from pathlib import Path

from orchestration.lib.ingest.contract import (
    DATE,
    INTEGER,
    ISO_4217_CURRENCIES,
    MONEY,
    RATE,
    SOURCES,
    TEXT,
    TIMESTAMP,
    Column,
    Source,
)
from orchestration.lib.settings import PROJECT_ROOT

CONTRACT_PAGE = PROJECT_ROOT / "docs" / "input-contract.md"
TYPE_NAMES = {TEXT: "text", TIMESTAMP: "timestamp", DATE: "date", MONEY: "decimal", RATE: "decimal", INTEGER: "integer"}


def _required(column: Column) -> str:
    presence = "yes" if column.required else "optional column"
    return f"{presence}, nullable" if column.nullable else presence


def _range(column: Column) -> str:
    if column.min_value is not None and column.max_value is not None:
        return f"{column.min_value:g}-{column.max_value:g}"
    if column.min_value is not None:
        return f"`>= {column.min_value:g}`"
    return f"`<= {column.max_value:g}`" if column.max_value is not None else ""


def _notes(source: Source, column: Column) -> str:
    notes = ["key"] if source.key == (column.name,) else []
    if column.accepted_values == ISO_4217_CURRENCIES:
        notes.append(f"ISO 4217 {column.description}".strip())
    else:
        notes.append(column.description)
        notes.append(" \\| ".join(f"`{value}`" for value in column.accepted_values))
    notes.append(_range(column))
    notes += [f"`>= {ordering.earlier}`" for ordering in source.orderings if ordering.later == column.name]
    notes.append(
        ", ".join(
            f"{rule.when_value.upper()} {rule.min_value}-{rule.max_value}"
            for rule in source.score_ranges
            if rule.column == column.name
        )
    )
    return "; ".join(note for note in notes if note)


def column_table(source: Source) -> str:
    """The source's columns as a markdown table: name, type, whether required, and the rules on it."""
    rows = ["| column | type | required | notes |", "| --- | --- | --- | --- |"]
    rows += [
        f"| `{column.name}` | {TYPE_NAMES[column.type]} | {_required(column)} | {_notes(source, column)} |".replace(
            "|  |", "| |"
        )
        for column in source.columns
    ]
    return "\n".join(rows)


def _block(folder: str) -> re.Pattern:
    return re.compile(rf"(<!-- contract:{folder}:begin -->\n)(.*?)(\n<!-- contract:{folder}:end -->)", re.S)


def documented_table(page: str, source: Source | None) -> str | None:
    """The table the page holds for `source` (None: the freshness windows), or None when it has no block for it."""
    match = _block(source.folder if source else "freshness").search(page)
    return match.group(2) if match else None


def freshness_table() -> str:
    """Each source's freshness window: days it may go without a delivery before its check warns."""
    rows = ["| source folder | freshness window |", "| --- | --- |"]
    rows += [f"| `{source.folder}/` | {source.freshness_days:g} days |" for source in SOURCES]
    return "\n".join(rows)


def render(page: str) -> str:
    page = _block("freshness").sub(lambda match: match.group(1) + freshness_table() + match.group(3), page)
    for source in SOURCES:
        page = _block(source.folder).sub(
            lambda match, source=source: match.group(1) + column_table(source) + match.group(3), page
        )
    return page


def main() -> None:
    CONTRACT_PAGE.write_text(render(CONTRACT_PAGE.read_text()))
    print(f"Wrote the contract tables of {len(SOURCES)} sources into {CONTRACT_PAGE.relative_to(Path.cwd())}")


if __name__ == "__main__":
    main()
