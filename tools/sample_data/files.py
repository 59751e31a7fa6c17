"""Writing the sample world as landing files, one per source and month (CSV, Parquet or JSON Lines)."""

from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from orchestration.lib.ingest.contract import Source
from tools.sample_data.world import (
    ACQUISITION_CHANNELS,
    DAY,
    ORDER_STATUSES,
    PRIORITIES,
    REPEAT_CHANNELS,
    SAMPLE_CURRENCIES,
    SURVEY_TYPES,
    TICKET_CHANNELS,
    TICKET_STATUSES,
)

OUTPUT_FORMATS = ("csv", "parquet", "jsonl")
_CSV_SPECIAL = (b'"', b",", b"\r", b"\n")


class MonthlyFiles:
    """Writes a source's rows one file per month: `<folder>/<folder>_<YYYY-MM>.<format>`."""

    def __init__(self, root: Path, file_format: str):
        self.root, self.file_format = root, file_format
        self._duckdb: duckdb.DuckDBPyConnection | None = None  # JSON Lines writer, opened once

    def __enter__(self) -> "MonthlyFiles":
        return self

    def __exit__(self, *exc_info) -> None:
        if self._duckdb is not None:
            self._duckdb.close()

    def write(self, source: Source, event_seconds: np.ndarray, table_for) -> int:
        """Rows must be sorted by `event_seconds`; `table_for(rows, file_format)` builds one month's table."""
        folder = self.root / source.folder
        folder.mkdir(parents=True, exist_ok=True)
        month = event_seconds.astype("datetime64[s]").astype("datetime64[M]")
        bounds = np.r_[0, np.flatnonzero(month[1:] != month[:-1]) + 1, month.size]
        for begin, stop in zip(bounds[:-1], bounds[1:], strict=True):
            if stop == begin:
                continue
            table = table_for(slice(begin, stop), self.file_format).select([column.name for column in source.columns])
            label = np.datetime_as_string(month[begin], unit="M")
            self._write_table(table, folder / f"{source.folder}_{label}.{self.file_format}")
        return int(month.size)

    def _write_table(self, table: pa.Table, path: Path) -> None:
        if self.file_format == "parquet":
            pq.write_table(table, path)
        elif self.file_format == "jsonl":
            if self._duckdb is None:
                self._duckdb = duckdb.connect()
                self._duckdb.execute("SET enable_progress_bar = false")
            self._duckdb.register("month_rows", table)
            target = str(path).replace("'", "''")
            self._duckdb.execute(f"COPY month_rows TO '{target}' (FORMAT json)")
            self._duckdb.unregister("month_rows")
        else:
            # Arrow quotes every string (and the header) when any quoting is asked for, so quote
            # only the files whose values need it, and write the plain header ourselves.
            options = pa_csv.WriteOptions(
                include_header=False, quoting_style="needed" if _needs_quotes(table) else "none"
            )
            with path.open("wb") as handle:
                handle.write((",".join(table.column_names) + "\n").encode())
                pa_csv.write_csv(table, handle, options)


def _needs_quotes(table: pa.Table) -> bool:
    """Whether any string holds a CSV special character; searches the raw character buffers (memchr-fast)."""
    for column in table.columns:
        if pa.types.is_string(column.type):
            for chunk in column.chunks:
                characters = chunk.buffers()[2]
                text = characters.to_pybytes() if characters is not None else b""
                if any(special in text for special in _CSV_SPECIAL):
                    return True
    return False


def _ids(prefix: str, numbers: np.ndarray, largest: int, width: int) -> pa.Array:
    """Keys like O00000042: zero-padded to `width` digits, or to the digits of `largest` number when wider."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), max(width, len(str(largest))), "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _labels(labels, codes: np.ndarray) -> pa.Array:
    return pa.array(list(labels), pa.string()).take(pa.array(codes))


@cache
def _clock_strings() -> pa.Array:
    seconds = np.arange(DAY)
    return pa.array(
        [f"{h:02d}:{m:02d}:{s:02d}" for h, m, s in zip(seconds // 3600, seconds // 60 % 60, seconds % 60, strict=True)]
    )


def _timestamps(seconds: np.ndarray, separator: str, suffix: str = "", missing: np.ndarray | None = None) -> pa.Array:
    """ISO-8601 strings for epoch seconds, built from a day and a clock lookup (much faster than strftime)."""
    day = seconds // DAY
    first = int(day.min()) if day.size else 0
    span = int(day.max()) - first + 1 if day.size else 1
    day_strings = pa.array(np.datetime_as_string(np.arange(first, first + span).astype("datetime64[D]")))
    text = pc.binary_join_element_wise(
        day_strings.take(pa.array(day - first)), _clock_strings().take(pa.array(seconds % DAY)), separator
    )
    if suffix:
        text = pc.binary_join_element_wise(text, suffix, "")
    return _with_nulls(text, missing)


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(np.datetime_as_string(days.astype("datetime64[D]")))


def _with_nulls(values: pa.Array, missing: np.ndarray | None) -> pa.Array:
    if missing is None or not missing.any():
        return values
    return pc.if_else(pa.array(missing), pa.scalar(None, values.type), values)


def _decimal(units: np.ndarray, decimals: int, file_format: str, missing: np.ndarray | None = None) -> pa.Array:
    """A fixed-point number given in 10**-decimals units: text with exactly `decimals` digits in CSV, else a double."""
    if file_format != "csv":
        return pa.array(units / 10**decimals, pa.float64(), mask=missing)
    scale = 10**decimals
    whole = pc.cast(pa.array(units // scale), pa.string())
    fraction = pc.utf8_lpad(pc.cast(pa.array(units % scale), pa.string()), decimals, "0")
    return _with_nulls(pc.binary_join_element_wise(whole, fraction, "."), missing)


def _integers(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(values, pa.int32(), mask=missing)


def _customer_ids(customer: np.ndarray, customers: int) -> pa.Array:
    return _ids("C", customer + 1, customers, 7)


def orders_table(orders, customers: int, rows: slice, file_format: str) -> pa.Table:
    customer = orders["customer"][rows]
    number = pc.cast(pa.array(customer + 1), pa.string())
    upper = orders["email_upper"][rows]
    email = pc.binary_join_element_wise(
        pc.if_else(pa.array(upper), "User", "user"),
        number,
        pc.if_else(pa.array(upper), "@Example.com", "@example.com"),
        "",
    )
    return pa.table(
        {
            "order_id": _ids("O", np.arange(rows.start, rows.stop) + 1, orders["customer"].size, 8),
            "customer_id": _customer_ids(customer, customers),
            "ordered_at": _timestamps(orders["ordered_at"][rows], "T", "Z"),
            "status": _labels(ORDER_STATUSES, orders["status"][rows]),
            "currency": _labels(SAMPLE_CURRENCIES, orders["currency"][rows]),
            "amount": _decimal(orders["amount_cents"][rows], 2, file_format),
            "cost": _decimal(orders["cost_cents"][rows], 2, file_format, orders["cost_missing"][rows]),
            "channel": _labels(ACQUISITION_CHANNELS + REPEAT_CHANNELS, orders["channel"][rows]),
            "customer_email": email,
        }
    )


def tickets_table(tickets, customers: int, rows: slice) -> pa.Table:
    return pa.table(
        {
            "ticket_id": _ids("T", np.arange(rows.start, rows.stop) + 1, tickets["customer"].size, 8),
            "customer_id": _customer_ids(tickets["customer"][rows], customers),
            "created_at": _timestamps(tickets["created_at"][rows], " "),
            "first_response_at": _timestamps(
                tickets["first_response_at"][rows], " ", missing=tickets["first_response_missing"][rows]
            ),
            "resolved_at": _timestamps(tickets["resolved_at"][rows], " ", missing=tickets["resolved_missing"][rows]),
            "status": _labels(TICKET_STATUSES, tickets["status"][rows]),
            "channel": _labels(TICKET_CHANNELS, tickets["channel"][rows]),
            "priority": _labels(PRIORITIES, tickets["priority"][rows]),
            "csat_score": _integers(tickets["csat"][rows], tickets["csat_missing"][rows]),
        }
    )


def answers_table(answers, customers: int, rows: slice) -> pa.Table:
    comment = answers["comment"][rows]
    return pa.table(
        {
            "response_id": _ids("R", np.arange(rows.start, rows.stop) + 1, answers["customer"].size, 8),
            "customer_id": _customer_ids(answers["customer"][rows], customers),
            "responded_at": _timestamps(answers["responded_at"][rows], " "),
            "survey_type": _labels(SURVEY_TYPES, answers["survey_type"][rows]),
            "score": _integers(answers["score"][rows]),
            "comment": _with_nulls(_labels(answers["comment_texts"], np.maximum(comment, 0)), comment < 0),
        }
    )


def spend_table(spend, rows: slice, file_format: str) -> pa.Table:
    size = rows.stop - rows.start
    return pa.table(
        {
            "spend_date": _dates(spend["spend_date"][rows]),
            "channel": _labels(spend["channels"], spend["channel"][rows]),
            "spend": _decimal(spend["cents"][rows], 2, file_format),
            "currency": pa.array([SAMPLE_CURRENCIES[0]] * size, pa.string()),
        }
    )


def fx_table(fx, rows: slice, file_format: str) -> pa.Table:
    return pa.table(
        {
            "rate_date": _dates(fx["rate_date"][rows]),
            "currency": _labels(SAMPLE_CURRENCIES, fx["currency"][rows]),
            "rate_to_reporting": _decimal(fx["micro_rate"][rows], 6, file_format),
        }
    )
