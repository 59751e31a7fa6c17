"""Every setting is one environment variable with a default, read when it is used.

Relative paths are resolved against the repository root, so nothing depends on the
working directory a command was started from.
"""

import json
import os
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from orchestration.lib.storage import OBJECT_STORE_SCHEME, Root, is_object_store
from orchestration.lib.warehouse import memory

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The dbt installed beside this interpreter, so an un-activated virtualenv works too.
DBT_BESIDE_PYTHON = str(Path(sys.prefix) / "bin" / "dbt")


def _path_setting(variable: str, default: str) -> Path:
    path = Path(os.environ.get(variable) or default).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def dbt_executable() -> str:
    """The dbt beside this interpreter when there is one, else `dbt` on PATH."""
    return DBT_BESIDE_PYTHON if Path(DBT_BESIDE_PYTHON).exists() else "dbt"


def _location_setting(variable: str, default: str) -> Root:
    """A folder named by a setting: a local path (relative to the repository) or `s3://bucket/prefix`."""
    value = (os.environ.get(variable) or "").strip()
    if not is_object_store(value):
        return Root(str(_path_setting(variable, default)))
    if not value.removeprefix(OBJECT_STORE_SCHEME).split("/")[0]:
        raise ValueError(f"{variable} must name a bucket (s3://bucket/prefix), got {value!r}")
    return Root(value)


def landing_root() -> Root:
    """Root of the landing zone, one folder per source (`LIFECYCLE_LANDING_DIR`): a local folder, or a prefix in
    object storage (`s3://bucket/prefix`; endpoint and credentials from the AWS variables, `storage`)."""
    return _location_setting("LIFECYCLE_LANDING_DIR", "data/landing")


def landing_dir() -> Path:
    """The landing zone as a local folder (`landing_root` when it is not in object storage)."""
    return landing_root().local_path()


def landing_settle_seconds() -> float:
    """How long a new or changed landing file must be left alone before the landing sensor starts a run
    (`LIFECYCLE_LANDING_SETTLE_SECONDS`, default 60): a file still being copied keeps changing."""
    return max(0.0, _float_setting("LIFECYCLE_LANDING_SETTLE_SECONDS", 60))


def freshness_days(defaults: dict[str, float]) -> dict[str, float]:
    """The freshness window of each source folder, in days: the contract's `defaults`, overridden by
    `LIFECYCLE_FRESHNESS_DAYS` (e.g. `orders=1,marketing_spend=0`; 0 leaves a source unchecked). Read when the
    definitions load: a changed window takes effect when the code location reloads."""
    windows = dict(defaults)
    for item in os.environ.get("LIFECYCLE_FRESHNESS_DAYS", "").split(","):
        if not item.strip():
            continue
        source, _, days = item.partition("=")
        source = source.strip()
        if source not in windows:
            raise ValueError(f"LIFECYCLE_FRESHNESS_DAYS names {source!r}, not a source ({', '.join(windows)})")
        try:
            windows[source] = float(days)
        except ValueError as error:
            raise ValueError(f"LIFECYCLE_FRESHNESS_DAYS: {source} needs a number of days, got {days!r}") from error
    return {source: days for source, days in windows.items() if days > 0}


def warehouse_path() -> Path:
    """The private, working DuckDB file (`LIFECYCLE_WAREHOUSE`); BI never opens it."""
    return _path_setting("LIFECYCLE_WAREHOUSE", "data/warehouse/warehouse.duckdb")


def as_of_date() -> date | None:
    """The date to build the marts as of, without the events after it (`LIFECYCLE_AS_OF`), when the `as_of`
    resource names none; None means the usual build, as of the latest event date in the data."""
    return parse_as_of(os.environ.get("LIFECYCLE_AS_OF", ""), "LIFECYCLE_AS_OF")


def parse_as_of(value: str, name: str) -> date | None:
    """An as-of date as written in a setting or the launchpad (`name`): ISO, or empty for none."""
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"{name} must be an ISO date (YYYY-MM-DD), got {value!r}") from error


def past_warehouse_path(as_of: date, working: Path) -> Path:
    """The warehouse a build as of a past date works in, beside the `working` one, named by the date:
    rebuilt from scratch by each such build, so the working warehouse's incremental models never see it."""
    return working.parent / "as_of" / f"{as_of.isoformat()}.duckdb"


def past_serving_path(as_of: date) -> Path:
    """Where a build as of a past date publishes, unless told to replace the current marts: a folder named
    by the date beside the serving file, laid out like it (the DuckDB file, `parquet/`, the report)."""
    current = serving_path()
    return current.parent / "as_of" / as_of.isoformat() / current.name


def _float_setting(variable: str, default: float) -> float:
    value = os.environ.get(variable, "").strip()
    try:
        return float(value) if value else default
    except ValueError as error:
        raise ValueError(f"{variable} must be a number, got {value!r}") from error


def max_bad_row_share() -> float:
    """A file with a larger share of bad rows is blocked (`LIFECYCLE_MAX_BAD_ROW_SHARE`, default 5%)."""
    return _float_setting("LIFECYCLE_MAX_BAD_ROW_SHARE", 0.05)


def min_volume_ratio() -> float:
    """A file with fewer rows per event day than this share of the trailing average is blocked
    (`LIFECYCLE_MIN_VOLUME_RATIO`, default 0.2)."""
    return _float_setting("LIFECYCLE_MIN_VOLUME_RATIO", 0.2)


def max_unknown_customer_share() -> float:
    """A delivery of tickets or survey answers in which more than this share of rows name a customer no
    order carries is blocked: the systems' ids may not match (`LIFECYCLE_MAX_UNKNOWN_CUSTOMER_SHARE`,
    default 0.2). Fewer unknown ids are prospects, kept and counted."""
    return _float_setting("LIFECYCLE_MAX_UNKNOWN_CUSTOMER_SHARE", 0.2)


def gx_sample_rows() -> int:
    """Great Expectations validates at most this many rows of a run's batch, a random sample beyond
    it (`LIFECYCLE_GX_SAMPLE_ROWS`, default 100,000); the SQL row rules still judge every row."""
    return max(1, int(_float_setting("LIFECYCLE_GX_SAMPLE_ROWS", 100_000)))


def csv_max_line_bytes() -> int:
    """The longest CSV line a landing file may have, in bytes (`LIFECYCLE_CSV_MAX_LINE_BYTES`, default 64 MiB):
    a survey comment can be long; a file with a longer line is blocked, saying so."""
    return max(1, int(_float_setting("LIFECYCLE_CSV_MAX_LINE_BYTES", 64 * 2**20)))


def duckdb_memory_limit() -> str:
    """DuckDB's buffer memory per process (`LIFECYCLE_DUCKDB_MEMORY_LIMIT`; default an eighth of the memory
    of the machine or its container, at least 1 GiB); beyond it DuckDB spills to `<warehouse>.tmp`. The
    pipeline's steps run one at a time, so this bounds its memory."""
    configured = os.environ.get("LIFECYCLE_DUCKDB_MEMORY_LIMIT", "").strip()
    return configured or memory.default_memory_limit(memory.machine_memory_bytes())


def lock_retries() -> int:
    """Attempts to open a warehouse another process holds, with backoff from 1 s
    (`LIFECYCLE_LOCK_RETRIES`, default 5)."""
    return max(1, int(_float_setting("LIFECYCLE_LOCK_RETRIES", 5)))


def warehouse_wait_seconds() -> float:
    """How long `make run` waits for another live run that holds the warehouse before giving up
    (`LIFECYCLE_WAREHOUSE_WAIT_SECONDS`, default 3600)."""
    return max(0.0, _float_setting("LIFECYCLE_WAREHOUSE_WAIT_SECONDS", 3600))


def serving_path() -> Path:
    """The DuckDB file BI tools read (`LIFECYCLE_SERVING`); Parquet files go to `parquet/` beside it."""
    return _path_setting("LIFECYCLE_SERVING", "data/serving/lifecycle.duckdb")


def report_path(serving: Path | None = None) -> Path:
    """The lifecycle report: `report.html` beside the serving file (`serving`, default the current one),
    published with it."""
    return (serving or serving_path()).parent / "report.html"


def report_window_months() -> int:
    """Months the report's time charts show, up to the as-of month (`LIFECYCLE_REPORT_MONTHS`, default 24)."""
    months = int(_float_setting("LIFECYCLE_REPORT_MONTHS", 24))
    if months < 1:
        raise ValueError(f"LIFECYCLE_REPORT_MONTHS must be at least 1, got {months}")
    return months


def alerts_log_path() -> Path:
    """Where run-failure alerts are appended, one JSON line each (`LIFECYCLE_ALERTS_LOG`)."""
    return _path_setting("LIFECYCLE_ALERTS_LOG", "data/alerts/alerts.jsonl")


SMTP_SECURITY = ("starttls", "ssl", "none")


def alert_mail():
    """Where failure alerts are mailed, or None when `LIFECYCLE_SMTP_HOST` is unset (the log only).
    `LIFECYCLE_SMTP_PORT` (default 587), `LIFECYCLE_SMTP_FROM`, `LIFECYCLE_SMTP_TO` (comma-separated),
    `LIFECYCLE_SMTP_SECURITY` (starttls, the default; ssl; none), and for a server that wants a login
    `LIFECYCLE_SMTP_USER` and `LIFECYCLE_SMTP_PASSWORD`, from the environment only."""
    from orchestration.lib.alerts import MailSettings

    host = os.environ.get("LIFECYCLE_SMTP_HOST", "").strip()
    if not host:
        return None
    security = os.environ.get("LIFECYCLE_SMTP_SECURITY", "").strip().lower() or "starttls"
    if security not in SMTP_SECURITY:
        raise ValueError(f"LIFECYCLE_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, got {security!r}")
    recipients = tuple(r.strip() for r in os.environ.get("LIFECYCLE_SMTP_TO", "").split(",") if r.strip())
    sender = os.environ.get("LIFECYCLE_SMTP_FROM", "").strip()
    if not recipients or not sender:
        raise ValueError("LIFECYCLE_SMTP_HOST is set: LIFECYCLE_SMTP_FROM and LIFECYCLE_SMTP_TO are needed too")
    return MailSettings(
        host=host,
        port=int(_float_setting("LIFECYCLE_SMTP_PORT", 587)),
        sender=sender,
        recipients=recipients,
        security=security,
        user=os.environ.get("LIFECYCLE_SMTP_USER") or None,
        password=os.environ.get("LIFECYCLE_SMTP_PASSWORD") or None,
    )


MAX_AUDIENCE_BATCH_SIZE = 10_000  # a larger request risks an endpoint's limits on body size and time


def audience_webhook():
    """Where lifecycle audience changes are POSTed, or None when `LIFECYCLE_AUDIENCE_WEBHOOK` (an http(s) URL)
    is unset. `LIFECYCLE_AUDIENCE_WEBHOOK_TOKEN`, sent as a Bearer token, from the environment only;
    `LIFECYCLE_AUDIENCE_BATCH_SIZE` changes per request (default 500, at most 10,000);
    `LIFECYCLE_AUDIENCE_WEBHOOK_ATTEMPTS` per batch (default 5), `LIFECYCLE_AUDIENCE_WEBHOOK_BACKOFF_SECONDS`
    before the second, doubling after each (default 1), `LIFECYCLE_AUDIENCE_WEBHOOK_TIMEOUT_SECONDS` (default 30)."""
    from orchestration.lib.publish.webhook import AudienceWebhook, redacted

    url = os.environ.get("LIFECYCLE_AUDIENCE_WEBHOOK", "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    # A message shows the URL redacted: its query may hold a secret.
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"LIFECYCLE_AUDIENCE_WEBHOOK must be an http:// or https:// URL, got {redacted(url)!r}")
    if parts.username or parts.password:  # urllib would not send them, and would put them in its errors
        raise ValueError(
            "LIFECYCLE_AUDIENCE_WEBHOOK must not hold a user or password (user:password@): "
            "set LIFECYCLE_AUDIENCE_WEBHOOK_TOKEN, sent as a Bearer token"
        )
    token = os.environ.get("LIFECYCLE_AUDIENCE_WEBHOOK_TOKEN", "").strip() or None
    if token and not all(character.isprintable() and not character.isspace() for character in token):
        # http.client would refuse the header, quoting it in its error
        raise ValueError("LIFECYCLE_AUDIENCE_WEBHOOK_TOKEN must not hold spaces or control characters")
    timeout = _float_setting("LIFECYCLE_AUDIENCE_WEBHOOK_TIMEOUT_SECONDS", 30)
    if timeout <= 0:
        raise ValueError(f"LIFECYCLE_AUDIENCE_WEBHOOK_TIMEOUT_SECONDS must be more than 0, got {timeout}")
    return AudienceWebhook(
        url=url,
        token=token,
        batch_size=_audience_batch_size(),
        attempts=max(1, int(_float_setting("LIFECYCLE_AUDIENCE_WEBHOOK_ATTEMPTS", 5))),
        backoff_seconds=max(0.0, _float_setting("LIFECYCLE_AUDIENCE_WEBHOOK_BACKOFF_SECONDS", 1.0)),
        timeout_seconds=timeout,
    )


def _audience_batch_size() -> int:
    value = os.environ.get("LIFECYCLE_AUDIENCE_BATCH_SIZE", "").strip() or "500"
    try:
        size = int(value)
    except ValueError as error:
        raise ValueError(f"LIFECYCLE_AUDIENCE_BATCH_SIZE must be a whole number, got {value!r}") from error
    if not 1 <= size <= MAX_AUDIENCE_BATCH_SIZE:
        raise ValueError(f"LIFECYCLE_AUDIENCE_BATCH_SIZE must be from 1 to {MAX_AUDIENCE_BATCH_SIZE}, got {size}")
    return size


ENGINES = ("duckdb", "spark")


def engine() -> str:
    """The engine dbt builds the models on (`LIFECYCLE_ENGINE`: duckdb, the default, or spark). It is also the
    dbt target's name (var `engine` in profiles.yml)."""
    value = os.environ.get("LIFECYCLE_ENGINE", "").strip().lower() or "duckdb"
    if value not in ENGINES:
        raise ValueError(f"LIFECYCLE_ENGINE must be one of {', '.join(ENGINES)}, got {value!r}")
    return value


def lake_root() -> Root:
    """The raw lake (`LIFECYCLE_LAKE_DIR`): every validated delivery as Parquet, which Spark reads; a local
    folder, or a prefix in object storage (`s3://bucket/prefix`)."""
    return _location_setting("LIFECYCLE_LAKE_DIR", "data/lake")


def lake_dir() -> Path:
    """The raw lake as a local folder (`lake_root` when it is not in object storage)."""
    return lake_root().local_path()


LAKE_MODES = ("auto", "on", "off")


def raw_lake_enabled() -> bool:
    """Whether ingest keeps the raw lake (`LIFECYCLE_RAW_LAKE`): `auto` (the default) when the engine reads
    it (spark), `on` to keep an open-format copy of the raw tables for other readers too, `off` never (not with Spark).
    Turned on later, the next run writes every delivery the lake lacks."""
    value = os.environ.get("LIFECYCLE_RAW_LAKE", "").strip().lower() or "auto"
    if value not in LAKE_MODES:
        raise ValueError(f"LIFECYCLE_RAW_LAKE must be one of {', '.join(LAKE_MODES)}, got {value!r}")
    if value == "off" and engine() == "spark":
        raise ValueError(
            "LIFECYCLE_RAW_LAKE=off cannot be used with LIFECYCLE_ENGINE=spark: "
            "Spark reads the sources from the raw lake"
        )
    return value == "on" or (value == "auto" and engine() == "spark")


@dataclass(frozen=True)
class SparkServer:
    """A Spark cluster reached over the network: dbt talks to its Thrift server, the Python steps to its
    Spark Connect server; both share one metastore and one warehouse location."""

    thrift_host: str
    thrift_port: int
    connect_url: str  # sc://host:port


def spark_server() -> SparkServer | None:
    """The Spark cluster's SQL servers (`LIFECYCLE_SPARK_THRIFT` host:port, `LIFECYCLE_SPARK_CONNECT`
    sc://host:port, both or neither), or None: Spark in local mode inside each dbt process, or another engine
    (the cluster's settings are ignored unless LIFECYCLE_ENGINE=spark)."""
    thrift = os.environ.get("LIFECYCLE_SPARK_THRIFT", "").strip()
    connect = os.environ.get("LIFECYCLE_SPARK_CONNECT", "").strip()
    if engine() != "spark" or (not thrift and not connect):
        return None
    if not thrift or not connect:
        raise ValueError(
            "A Spark cluster needs both LIFECYCLE_SPARK_THRIFT (host:port of its Thrift server, for dbt) and "
            "LIFECYCLE_SPARK_CONNECT (sc://host:port of its Spark Connect server, for the CLV and publish steps)"
        )
    host, _, port = thrift.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"LIFECYCLE_SPARK_THRIFT must be host:port, got {thrift!r}")
    if not connect.startswith("sc://"):
        raise ValueError(f"LIFECYCLE_SPARK_CONNECT must be an sc://host:port URL, got {connect!r}")
    return SparkServer(host, int(port), connect)


def spark_fetch_rows() -> int:
    """Rows per Arrow batch the publish step fetches from a Spark cluster (`LIFECYCLE_SPARK_FETCH_ROWS`, default
    500,000): a mart as large as the customer base is never held whole on the pipeline host."""
    return max(1, int(_float_setting("LIFECYCLE_SPARK_FETCH_ROWS", 500_000)))


def lake_is_history() -> bool:
    """Whether the raw lake is the only copy of the raw history: on a Spark cluster, which reads the lake, the
    pipeline host's warehouse keeps the ledger, the quarantine and per-delivery statistics, not the rows."""
    return spark_server() is not None


def spark_lake_location() -> str:
    """The lake as the Spark servers see it, for the tables over it. A local lake: its path. A lake in object
    storage (`s3://bucket/prefix`): `s3a://bucket/prefix` through Spark's S3 connector, or, where the cluster
    mounts the buckets as folders (`LIFECYCLE_SPARK_BUCKET_MOUNT`, bucket `b` at `<mount>/b`), that folder."""
    lake = lake_root()
    if not lake.remote:
        return lake.location
    bucket_and_prefix = lake.location.removeprefix(OBJECT_STORE_SCHEME)
    mount = os.environ.get("LIFECYCLE_SPARK_BUCKET_MOUNT", "").strip()
    if mount:
        return f"file:{Path(mount).as_posix().rstrip('/')}/{bucket_and_prefix}"
    return f"s3a://{bucket_and_prefix}"


def dbt_target() -> str:
    """The dbt target (profiles.yml): the engine's, or `spark_cluster` for a Spark cluster's Thrift server."""
    return "spark_cluster" if spark_server() else engine()


def spark_dir() -> Path:
    """Spark's local warehouse and metastore (`LIFECYCLE_SPARK_DIR`), used by the `spark` dbt target."""
    return _path_setting("LIFECYCLE_SPARK_DIR", "data/spark")


def spark_local() -> dict[str, str]:
    """Local Spark's size, for the `spark` dbt target: cores (`LIFECYCLE_SPARK_CORES`, default 2), driver memory
    (`LIFECYCLE_SPARK_DRIVER_MEMORY`, default 4g) and shuffle partitions (`LIFECYCLE_SPARK_SHUFFLE_PARTITIONS`,
    default 8: Spark's 200 are for clusters, on a few local cores mostly overhead)."""
    return {
        "spark_cores": str(max(1, int(_float_setting("LIFECYCLE_SPARK_CORES", 2)))),
        "spark_driver_memory": os.environ.get("LIFECYCLE_SPARK_DRIVER_MEMORY", "").strip() or "4g",
        "spark_shuffle_partitions": str(max(1, int(_float_setting("LIFECYCLE_SPARK_SHUFFLE_PARTITIONS", 8)))),
    }


def dbt_vars(*, warehouse: Path | None = None, as_of: date | None = None) -> dict[str, str]:
    """The settings dbt reads (`profiles.yml`, the `create_lake_tables` macro, the `as_of` var), resolved here
    once, so dbt gets absolute paths and validated values and keeps no defaults of its own. `warehouse` and
    `as_of` are a build as of a past date's (the usual build: the working warehouse, and the latest event)."""
    server = spark_server()
    return {
        "engine": engine(),
        "target": dbt_target(),
        "spark_thrift_host": server.thrift_host if server else "",
        "spark_thrift_port": str(server.thrift_port) if server else "0",
        "warehouse": str(warehouse or warehouse_path()),
        "duckdb_memory_limit": duckdb_memory_limit(),
        "lake_dir": spark_lake_location() if engine() == "spark" else str(lake_root()),
        "spark_dir": str(spark_dir()),
        **spark_local(),
        "as_of": as_of.isoformat() if as_of else "",
    }


def dbt_vars_arguments(*, warehouse: Path | None = None, as_of: date | None = None) -> list[str]:
    """`--vars` with `dbt_vars()`, for a dbt command line: dbt's own way in for values set at run time."""
    return ["--vars", json.dumps(dbt_vars(warehouse=warehouse, as_of=as_of), sort_keys=True)]
