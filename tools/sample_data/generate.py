"""Deterministic sample data in the landing-file contract (`orchestration/lib/ingest/contract.py`).

Customers are acquired over [start, end] with mild growth and then buy following the BG/NBD
story (Fader, Hardie & Lee 2005) with Gamma-Gamma spend, so some buy often, many buy once and
some stop buying. Orders, tickets, survey answers, marketing spend and FX rates are derived from
those purchases. Everything is built as whole numpy arrays (no per-customer Python), then written
one file per source and month.

The same seed gives byte-identical files: every random draw comes from a sub-stream of
`np.random.default_rng(seed)`'s seed sequence, one per part, so changing how tickets are drawn
does not change the orders.

`python -m tools.sample_data --customers 5000 --seed 42 --format csv`
"""

import argparse
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np

from orchestration.lib.ingest.contract import FX_RATES, MARKETING_SPEND, ORDERS, SUPPORT_TICKETS, SURVEY_RESPONSES
from orchestration.lib.settings import landing_dir as default_landing_dir
from tools.sample_data.behaviour import BehaviourParams
from tools.sample_data.files import (
    OUTPUT_FORMATS,
    MonthlyFiles,
    answers_table,
    fx_table,
    orders_table,
    spend_table,
    tickets_table,
)
from tools.sample_data.world import (
    DAY,
    Calendar,
    draw_customers,
    draw_fx_rates,
    draw_marketing_spend,
    draw_orders,
    draw_survey_responses,
    draw_tickets,
)

# Sub-streams of the seed, one per part; append new parts at the end so existing ones keep their draws.
STREAMS = ("customers", "purchases", "orders", "fx", "tickets", "surveys", "spend")


def generate(
    landing_dir: Path | str,
    customers: int = 5000,
    seed: int = 42,
    *,
    start: str = "2023-01-01",
    end: str = "2025-12-31",
    file_format: str = "csv",
    params: BehaviourParams = BehaviourParams(),
    multi_currency: bool = True,
) -> dict[str, int]:
    """Write the landing folders under `landing_dir`; return the rows written per source folder.

    Files are named `<folder>/<folder>_<YYYY-MM>.<ext>` by the month of each row's event and are
    overwritten; other files in the folders are left alone.
    """
    if file_format not in OUTPUT_FORMATS:
        raise ValueError(f"file_format must be one of {', '.join(OUTPUT_FORMATS)}, got {file_format!r}")
    if customers < 1:
        raise ValueError("customers must be >= 1")
    first_day, last_day = date.fromisoformat(start), date.fromisoformat(end)
    if last_day < first_day:
        raise ValueError(f"end ({end}) is before start ({start})")
    calendar = Calendar(first_day, last_day)
    streams = dict(
        zip(STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(STREAMS))), strict=True)
    )

    people = draw_customers(customers, calendar, multi_currency, streams["customers"])
    fx = draw_fx_rates(calendar, multi_currency, streams["fx"])
    orders = draw_orders(people, calendar, params, fx, streams["purchases"], streams["orders"])
    tickets = draw_tickets(people, orders, calendar, streams["tickets"])
    answers = draw_survey_responses(people, orders, calendar, streams["surveys"])
    spend = draw_marketing_spend(people, calendar, streams["spend"])

    with MonthlyFiles(Path(landing_dir), file_format) as files:
        written = {
            ORDERS.folder: files.write(
                ORDERS, orders["ordered_at"], lambda rows, fmt: orders_table(orders, customers, rows, fmt)
            ),
            SUPPORT_TICKETS.folder: files.write(
                SUPPORT_TICKETS, tickets["created_at"], lambda rows, fmt: tickets_table(tickets, customers, rows)
            ),
            SURVEY_RESPONSES.folder: files.write(
                SURVEY_RESPONSES, answers["responded_at"], lambda rows, fmt: answers_table(answers, customers, rows)
            ),
            MARKETING_SPEND.folder: files.write(
                MARKETING_SPEND, spend["spend_date"] * DAY, lambda rows, fmt: spend_table(spend, rows, fmt)
            ),
        }
        if multi_currency:
            written[FX_RATES.folder] = files.write(
                FX_RATES, fx["rate_date"] * DAY, lambda rows, fmt: fx_table(fx, rows, fmt)
            )
    return written


def hold_back_day(landing_dir: Path | str, day: str, target_dir: Path | str) -> dict[str, int]:
    """Move every row of `day` (YYYY-MM-DD) out of the CSV month files into a delivery of its own,
    `<target_dir>/<folder>/<folder>_<day>.csv`, to be dropped into the landing folder later, as
    a daily delivery would be. Returns the rows moved per source folder."""
    landing_dir, target_dir = Path(landing_dir), Path(target_dir)
    moved = {}
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        for source in (ORDERS, SUPPORT_TICKETS, SURVEY_RESPONSES, MARKETING_SPEND, FX_RATES):
            month_file = landing_dir / source.folder / f"{source.folder}_{day[:7]}.csv"
            if not month_file.exists():
                continue
            reader = f"read_csv('{month_file}', header = true, all_varchar = true)"
            on_day = f"CAST(try_cast({source.event_column} AS TIMESTAMPTZ) AS DATE) = DATE '{day}'"
            day_file = target_dir / source.folder / f"{source.folder}_{day}.csv"
            day_file.parent.mkdir(parents=True, exist_ok=True)
            connection.execute(f"COPY (SELECT * FROM {reader} WHERE {on_day}) TO '{day_file}' (HEADER, FORMAT csv)")
            rest = month_file.with_suffix(".rest")
            connection.execute(f"COPY (SELECT * FROM {reader} WHERE NOT ({on_day})) TO '{rest}' (HEADER, FORMAT csv)")
            rest.replace(month_file)
            moved[source.folder] = connection.execute(f"SELECT count(*) FROM read_csv('{day_file}')").fetchall()[0][0]
    return moved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write deterministic sample landing files.")
    parser.add_argument("--landing-dir", type=Path, default=None, help="default: LIFECYCLE_LANDING_DIR or data/landing")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--format", dest="file_format", choices=OUTPUT_FORMATS, default="csv")
    args = parser.parse_args(argv)
    target = args.landing_dir or default_landing_dir()
    began = time.perf_counter()
    written = generate(target, customers=args.customers, seed=args.seed, file_format=args.file_format)
    counts = ", ".join(f"{rows:,} {folder}" for folder, rows in written.items())
    print(f"Wrote {counts} ({args.file_format}) to {target} in {time.perf_counter() - began:.1f}s")
