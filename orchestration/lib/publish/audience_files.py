"""Each lifecycle audience as files a CRM imports: its current members and this run's changes, as CSV and
Parquet, in `<audience>/members.csv|parquet` and `<audience>/changes.csv|parquet` under one folder.

Written from the new serving file by the publish step, which swaps the folder in with the marts (see
serving.py): the files always match the published marts of the same run.
"""

from dataclasses import dataclass
from pathlib import Path

import duckdb

# The columns a CRM acts on, in the order a person reads them; the marts keep every figure.
MEMBER_COLUMNS = ("customer_id", "priority", "reason", "value_at_stake", "member_since", "as_of_date")
CHANGE_COLUMNS = ("customer_id", "change", "reason", "value_at_stake", "member_since", "as_of_date")


@dataclass(frozen=True)
class AudienceSummary:
    audience: str
    definition: str
    members: int
    value_at_stake: float
    entered: int
    exited: int
    as_of_date: str


def audience_summaries(connection: duckdb.DuckDBPyConnection) -> list[AudienceSummary]:
    """Mart `audiences` of a serving file (or the warehouse), in display order."""
    rows = connection.execute(
        "SELECT audience, definition, members, value_at_stake, entered, exited, as_of_date "
        "FROM marts.audiences ORDER BY display_order"
    ).fetchall()
    return [
        AudienceSummary(name, definition, members, float(value), entered, exited, str(as_of))
        for name, definition, members, value, entered, exited, as_of in rows
    ]


def write_audience_files(serving_file: Path, out: Path) -> list[AudienceSummary]:
    """Every audience's members and changes under the folder `out`, read from `serving_file`."""
    out.mkdir(parents=True)
    with duckdb.connect(str(serving_file), read_only=True) as connection:
        summaries = audience_summaries(connection)
        for summary in summaries:
            folder = out / summary.audience
            folder.mkdir()
            for name, mart, columns, order in (
                ("members", "audience_members", MEMBER_COLUMNS, "priority"),
                ("changes", "audience_changes", CHANGE_COLUMNS, "change, customer_id"),
            ):
                query = f"SELECT {', '.join(columns)} FROM marts.{mart} WHERE audience = $audience ORDER BY {order}"
                relation = connection.sql(query, params={"audience": summary.audience})
                relation.write_csv(str(folder / f"{name}.csv"))
                relation.write_parquet(str(folder / f"{name}.parquet"))
    return summaries
