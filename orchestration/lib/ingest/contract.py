"""The landing-file contract: which folders exist, their columns, types, keys and freshness.

This is the single declaration of a source; everything else follows from it: ingestion and its
validation, the Dagster asset `[system, table]` and its freshness check, the row counts `make run`
prints, the dbt source `source('<system>', '<table>')` (its YAML is generated: `python -m tools.dbt_sources`)
and `docs/input-contract.md`'s tables (`python -m tools.contract_docs`). Tests fail when a generated
file disagrees with this one (`tests/unit/test_source_schemas.py`, `tests/unit/test_docs.py`).
"""

from dataclasses import dataclass

# DuckDB types the raw tables use. Timestamps are stored as naive UTC.
TEXT, TIMESTAMP, DATE, MONEY, INTEGER, RATE = "VARCHAR", "TIMESTAMP", "DATE", "DOUBLE", "INTEGER", "DOUBLE"

# ISO 4217 active codes (2024), so that a typo in a currency is caught at the door.
ISO_4217_CURRENCIES = tuple(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)

# Columns every raw table carries besides the contract's.
LOAD_METADATA_COLUMNS = {
    "_source_file": "VARCHAR",
    "_source_row": "BIGINT",
    "_load_id": "BIGINT",
    "_loaded_at": "TIMESTAMP",
}
LOAD_METADATA_DESCRIPTIONS = {
    "_source_file": "Path of the delivered file, relative to the landing root.",
    "_source_row": "1-based data row within the file (the header is not counted).",
    "_load_id": "Ledger id of the delivery; a higher id is a newer delivery.",
    "_loaded_at": "When the delivery was loaded (naive UTC).",
}

# DuckDB type -> the dbt `data_type` both Spark and DuckDB understand (Spark creates its raw tables from them).
PORTABLE_TYPES = {
    "VARCHAR": "string",
    "DOUBLE": "double",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "BOOLEAN": "boolean",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = True  # must be present in every file's header
    nullable: bool = False
    description: str = ""  # what the value means; the rules below are documented from their fields
    accepted_values: tuple[str, ...] = ()  # compared lower-cased (currency codes: upper-cased)
    min_value: float | None = None
    max_value: float | None = None
    # Prose, which may hold line breaks and tabs. Every other text column (ids, codes, labels) may not
    # hold a control character: one would make a second customer of `C1` and `C\x001`.
    free_text: bool = False


@dataclass(frozen=True)
class ScoreRange:
    """`column` must lie in [min_value, max_value] on rows where `when_column` equals `when_value`."""

    column: str
    when_column: str
    when_value: str
    min_value: int
    max_value: int


@dataclass(frozen=True)
class Ordering:
    """`later` may not come before `earlier` (when both are present)."""

    later: str
    earlier: str


@dataclass(frozen=True)
class Source:
    folder: str  # landing folder name
    system: str  # warehouse schema and dbt source name
    table: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    event_column: str = ""  # the date or time a row is about; volume checks count rows per event day
    optional: bool = False  # optional sources are documented as such; every source may be missing
    description: str = ""  # what one row is
    # Days the source may go without a delivery before its freshness check warns (0: never checked);
    # `LIFECYCLE_FRESHNESS_DAYS` overrides it.
    freshness_days: float = 0
    score_ranges: tuple[ScoreRange, ...] = ()
    orderings: tuple[Ordering, ...] = ()
    # Its `customer_id`s should mostly be customers the orders know; a person without an order is a
    # prospect, but a delivery of mostly unknown ids means the systems' ids do not match.
    customers_known_from_orders: bool = False

    @property
    def asset_key(self) -> list[str]:
        return [self.system, self.table]

    @property
    def relation(self) -> str:
        return f"{self.system}.{self.table}"

    @property
    def required_columns(self) -> list[str]:
        return [column.name for column in self.columns if column.required]

    def column(self, name: str) -> Column | None:
        """The contract's column of that name, if it has one."""
        return next((column for column in self.columns if column.name == name), None)


ORDERS = Source(
    folder="orders",
    freshness_days=2,  # daily exports
    system="shop",
    table="orders",
    key=("order_id",),
    event_column="ordered_at",
    description="One row per order, as exported by the shop.",
    columns=(
        Column("order_id", TEXT),
        Column("customer_id", TEXT),
        Column("ordered_at", TIMESTAMP),
        Column("status", TEXT, accepted_values=("completed", "refunded", "cancelled", "pending")),
        Column("currency", TEXT, description="code of `amount` and `cost`", accepted_values=ISO_4217_CURRENCIES),
        Column("amount", MONEY, description="order total after discounts", min_value=0),
        Column("cost", MONEY, required=False, nullable=True, description="cost of goods", min_value=0),
        Column("channel", TEXT, required=False, nullable=True, description="marketing channel of the order"),
        Column(
            "customer_email",
            TEXT,
            required=False,
            nullable=True,
            description="personal data: only its SHA-256 passes staging (view `stg_shop__customer_emails`)",
        ),
    ),
)

SUPPORT_TICKETS = Source(
    folder="support_tickets",
    freshness_days=2,  # daily exports
    system="support",
    table="tickets",
    key=("ticket_id",),
    event_column="created_at",
    description="One row per support ticket, as exported by the help desk.",
    customers_known_from_orders=True,
    orderings=(Ordering("first_response_at", "created_at"), Ordering("resolved_at", "created_at")),
    columns=(
        Column("ticket_id", TEXT),
        Column("customer_id", TEXT),
        Column("created_at", TIMESTAMP),
        Column("first_response_at", TIMESTAMP, nullable=True, description="empty while unanswered"),
        Column("resolved_at", TIMESTAMP, nullable=True, description="empty while unresolved"),
        Column("status", TEXT, accepted_values=("new", "open", "pending", "solved", "closed")),
        Column("channel", TEXT, accepted_values=("email", "chat", "phone", "whatsapp", "other")),
        Column("priority", TEXT, required=False, nullable=True),
        Column("csat_score", INTEGER, nullable=True, min_value=1, max_value=5),
    ),
)

SURVEY_RESPONSES = Source(
    folder="survey_responses",
    freshness_days=7,  # weekly batches
    system="surveys",
    table="responses",
    key=("response_id",),
    event_column="responded_at",
    description="One row per NPS or CSAT survey answer.",
    customers_known_from_orders=True,
    score_ranges=(ScoreRange("score", "survey_type", "nps", 0, 10), ScoreRange("score", "survey_type", "csat", 1, 5)),
    columns=(
        Column("response_id", TEXT),
        Column("customer_id", TEXT),
        Column("responded_at", TIMESTAMP),
        Column("survey_type", TEXT, accepted_values=("nps", "csat")),
        Column("score", INTEGER),
        Column("comment", TEXT, required=False, nullable=True, free_text=True),
    ),
)

MARKETING_SPEND = Source(
    folder="marketing_spend",
    freshness_days=8,  # weekly batches
    system="marketing",
    table="spend",
    key=("spend_date", "channel"),
    event_column="spend_date",
    optional=True,
    description="Acquisition spend per day and channel.",
    columns=(
        Column("spend_date", DATE, description="`YYYY-MM-DD`"),
        Column("channel", TEXT, description="acquisition channel, as in `orders.channel`"),
        Column("spend", MONEY, min_value=0),
        Column("currency", TEXT, accepted_values=ISO_4217_CURRENCIES),
    ),
)

FX_RATES = Source(
    folder="fx_rates",
    freshness_days=3,  # daily rates
    system="finance",
    table="fx_rates",
    key=("rate_date", "currency"),
    event_column="rate_date",
    optional=True,
    description="Daily rate converting one unit of `currency` into the reporting currency.",
    columns=(
        Column("rate_date", DATE),
        Column("currency", TEXT, accepted_values=ISO_4217_CURRENCIES),
        Column("rate_to_reporting", RATE, description="one unit of `currency` in the reporting currency", min_value=0),
    ),
)

SOURCES: tuple[Source, ...] = (ORDERS, SUPPORT_TICKETS, SURVEY_RESPONSES, MARKETING_SPEND, FX_RATES)
FORMAT_BY_EXTENSION = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
