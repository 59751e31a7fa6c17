"""The landing-file contract: which folders exist, their columns, types and keys.

This is the single description of the input that ingestion, validation and the README
follow. Each source lands in the warehouse as `<system>.<table>`, which is also the dbt
source (`source('<system>', '<table>')`) and the Dagster asset key `[system, table]`.
"""

from dataclasses import dataclass

# DuckDB types the raw tables use. Timestamps are stored as naive UTC.
TEXT, TIMESTAMP, DATE, MONEY, INTEGER, RATE = "VARCHAR", "TIMESTAMP", "DATE", "DOUBLE", "INTEGER", "DOUBLE"

# Columns every raw table carries besides the contract's.
LOAD_METADATA_COLUMNS = {
    "_source_file": "VARCHAR",  # path relative to the landing root
    "_source_row": "BIGINT",  # 1-based data row within the file (the header is not counted)
    "_load_id": "BIGINT",  # ledger id of the delivery; a higher id is a newer delivery
    "_loaded_at": "TIMESTAMP",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = True  # must be present in every file's header
    nullable: bool = False
    description: str = ""


@dataclass(frozen=True)
class Source:
    folder: str  # landing folder name
    system: str  # warehouse schema and dbt source name
    table: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    optional: bool = False  # optional sources are documented as such; every source may be missing
    description: str = ""

    @property
    def asset_key(self) -> list[str]:
        return [self.system, self.table]

    @property
    def relation(self) -> str:
        return f"{self.system}.{self.table}"

    @property
    def required_columns(self) -> list[str]:
        return [column.name for column in self.columns if column.required]


ORDERS = Source(
    folder="orders",
    system="shop",
    table="orders",
    key=("order_id",),
    description="One row per order, as exported by the shop.",
    columns=(
        Column("order_id", TEXT, description="Order key."),
        Column("customer_id", TEXT),
        Column("ordered_at", TIMESTAMP),
        Column("status", TEXT, description="completed | refunded | cancelled | pending"),
        Column("currency", TEXT, description="ISO 4217 code of `amount` and `cost`."),
        Column("amount", MONEY, description="Order total after discounts, >= 0."),
        Column("cost", MONEY, required=False, nullable=True, description="Cost of goods."),
        Column("channel", TEXT, required=False, nullable=True, description="Marketing channel of the order."),
        Column("customer_email", TEXT, required=False, nullable=True, description="PII: hashed in staging."),
    ),
)

SUPPORT_TICKETS = Source(
    folder="support_tickets",
    system="support",
    table="tickets",
    key=("ticket_id",),
    description="One row per support ticket, as exported by the help desk.",
    columns=(
        Column("ticket_id", TEXT),
        Column("customer_id", TEXT),
        Column("created_at", TIMESTAMP),
        Column("first_response_at", TIMESTAMP, nullable=True),
        Column("resolved_at", TIMESTAMP, nullable=True),
        Column("status", TEXT, description="new | open | pending | solved | closed"),
        Column("channel", TEXT, description="email | chat | phone | whatsapp | other"),
        Column("priority", TEXT, required=False, nullable=True),
        Column("csat_score", INTEGER, nullable=True, description="1-5"),
    ),
)

SURVEY_RESPONSES = Source(
    folder="survey_responses",
    system="surveys",
    table="responses",
    key=("response_id",),
    description="One row per NPS or CSAT survey answer.",
    columns=(
        Column("response_id", TEXT),
        Column("customer_id", TEXT),
        Column("responded_at", TIMESTAMP),
        Column("survey_type", TEXT, description="nps | csat"),
        Column("score", INTEGER, description="nps 0-10, csat 1-5"),
        Column("comment", TEXT, required=False, nullable=True),
    ),
)

MARKETING_SPEND = Source(
    folder="marketing_spend",
    system="marketing",
    table="spend",
    key=("spend_date", "channel"),
    optional=True,
    description="Acquisition spend per day and channel.",
    columns=(
        Column("spend_date", DATE),
        Column("channel", TEXT),
        Column("spend", MONEY),
        Column("currency", TEXT),
    ),
)

FX_RATES = Source(
    folder="fx_rates",
    system="finance",
    table="fx_rates",
    key=("rate_date", "currency"),
    optional=True,
    description="Daily rate converting one unit of `currency` into the reporting currency.",
    columns=(
        Column("rate_date", DATE),
        Column("currency", TEXT),
        Column("rate_to_reporting", RATE),
    ),
)

SOURCES: tuple[Source, ...] = (ORDERS, SUPPORT_TICKETS, SURVEY_RESPONSES, MARKETING_SPEND, FX_RATES)
FILE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
