"""Deterministic sample data in the landing-file contract (`orchestration/lib/contract.py`).

Customers are acquired over [start, end] with mild growth and then buy following the BG/NBD
story (Fader, Hardie & Lee 2005) with Gamma-Gamma spend, so some buy often, many buy once and
some stop buying. Orders, tickets, survey answers, marketing spend and FX rates are derived from
those purchases. Everything is built as whole numpy arrays (no per-customer Python), then written
one file per source and month.

The same seed gives byte-identical files: every random draw comes from a sub-stream of
`np.random.default_rng(seed)`'s seed sequence, one per part, so changing how tickets are drawn
does not change the orders.

`python -m orchestration.lib.sample_data --customers 5000 --seed 42 --format csv`
"""

import argparse
import time
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from orchestration.lib.contract import FX_RATES, MARKETING_SPEND, ORDERS, SUPPORT_TICKETS, SURVEY_RESPONSES, Source
from orchestration.lib.settings import landing_dir as default_landing_dir

DAY = 86_400
WEEK = 7 * DAY
FILE_FORMATS = ("csv", "parquet", "jsonl")
_CSV_SPECIAL = (b'"', b",", b"\r", b"\n")
# Sub-streams of the seed, one per part; append new parts at the end so existing ones keep their draws.
STREAMS = ("customers", "purchases", "orders", "fx", "tickets", "surveys", "spend")

# New customers per day grow by this factor from `start` to `end`.
GROWTH = 1.8
# Share of events per hour of the day (UTC): quiet nights, a lunch peak and an evening peak.
HOUR_WEIGHTS = np.array([2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 7, 6, 6, 6, 7, 8, 9, 9, 8, 6, 4], dtype=float)

ACQUISITION_CHANNELS = ("organic", "paid_search", "paid_social", "email", "referral", "affiliate")
ACQUISITION_WEIGHTS = (0.34, 0.24, 0.16, 0.08, 0.10, 0.08)
REPEAT_CHANNELS = ("organic", "email", "direct")
REPEAT_WEIGHTS = (0.45, 0.35, 0.20)
# Acquisition cost per new customer (USD) of the channels that are paid for.
# Set so that 12-month margin per new customer over CAC (LTV:CAC) comes out near 4 for email,
# 2.5 for affiliate, 2 for paid search and 1 for paid social with the default behaviour.
CHANNEL_CAC = {"affiliate": 13.0, "email": 6.0, "paid_search": 19.0, "paid_social": 26.0}

CURRENCIES = ("USD", "EUR", "GBP")  # the first is the reporting currency
CURRENCY_WEIGHTS = (0.85, 0.09, 0.06)
FX_START = {"EUR": 1.08, "GBP": 1.27}

ORDER_STATUSES = ("completed", "refunded", "cancelled", "pending")
CANCEL_RATE = 0.05
PENDING_WINDOW_DAYS = 14
MISSING_COST_RATE = 0.05

TICKET_STATUSES = ("new", "open", "pending", "solved", "closed")
TICKET_CHANNELS = ("email", "chat", "phone", "whatsapp", "other")
TICKET_CHANNEL_WEIGHTS = (0.45, 0.25, 0.15, 0.10, 0.05)
# Median hours to a first response and from it to a resolution, per ticket channel.
FIRST_RESPONSE_MEDIAN_HOURS = np.array([6.0, 0.5, 0.5, 0.5, 6.0])
RESOLUTION_MEDIAN_HOURS = np.array([20.0, 3.0, 3.0, 5.0, 20.0])
PRIORITIES = ("low", "normal", "high", "urgent")
UNANSWERED_RATE = 0.03
AUTO_CLOSE_DAYS = 4  # a solved ticket is closed after this many days
STALE_DAYS = 14  # an unanswered ticket older than this was closed without a resolution

SURVEY_TYPES = ("nps", "csat")
NPS_RESPONDER_RATE = 0.28
COMMENTS = {
    "low": ("Delivery took too long", "Item arrived damaged, refund was slow", "Support never got back to me",
            'The "express" shipping was not express'),
    "mid": ("Good, but shipping costs are high", "OK overall", "Decent quality, average prices"),
    "high": ("Great products, fast delivery", "Love it!", "Customer service was super helpful",
             'Best shop I know, "highly" recommended'),
}


@dataclass(frozen=True)
class BehaviourParams:
    """BG/NBD + Gamma-Gamma generative parameters; the time unit is the week."""

    r: float = 0.25  # purchase rate lambda ~ Gamma(shape=r, rate=alpha) per week
    alpha: float = 4.0
    a: float = 0.8  # dropout probability after each repeat purchase p ~ Beta(a, b)
    b: float = 2.4
    p: float = 6.0  # spend per purchase z ~ Gamma(shape=p, rate=nu), nu ~ Gamma(shape=q, rate=gamma)
    q: float = 3.8
    gamma: float = 15.0


def simulate_purchases(
    n_customers: int, params: BehaviourParams, observation_weeks: float | np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Purchases of `n_customers` customers under BG/NBD with Gamma-Gamma spend.

    Every customer buys at t=0, then at the times of a Poisson(lambda) process while alive, and
    becomes inactive immediately after each *repeat* purchase with probability p (so the j-th
    repeat purchase is the last with probability p(1-p)^(j-1)). Purchases are observed until
    `observation_weeks` (a scalar, or one T per customer). Returns one row per purchase, ordered
    by customer then time: `customer_index`, `t_weeks` (0 for the first) and `spend` (> 0).
    """
    customer, t_weeks, spend = _simulate(n_customers, params, observation_weeks, rng)
    return pd.DataFrame({"customer_index": customer, "t_weeks": t_weeks, "spend": spend})


def _simulate(n: int, params: BehaviourParams, observation_weeks, rng: np.random.Generator):
    horizon = np.broadcast_to(np.asarray(observation_weeks, dtype=float), (n,))
    if (horizon < 0).any():
        raise ValueError("observation_weeks must be >= 0")
    rate = rng.gamma(params.r, 1 / params.alpha, n)
    dropout = np.clip(rng.beta(params.a, params.b, n), 1e-12, 1.0)
    nu = rng.gamma(params.q, 1 / params.gamma, n)
    arrivals = rng.poisson(rate * horizon)  # Poisson events in (0, T] had the customer stayed alive
    last_repeat = rng.geometric(dropout)  # the repeat purchase after which the customer drops out
    repeats = np.minimum(arrivals, last_repeat)

    # Given N(T) = n arrivals, they are n sorted uniforms on (0, T); we need the first k of them:
    # the k-th is T * Beta(k, n - k + 1) and the k - 1 before it are uniforms below it.
    has_repeats = repeats > 0
    kth = np.zeros(n)
    kth[has_repeats] = horizon[has_repeats] * rng.beta(repeats[has_repeats], arrivals[has_repeats] - repeats[has_repeats] + 1)

    counts = repeats + 1
    customer = np.repeat(np.arange(n, dtype=np.int64), counts)
    position = np.arange(customer.size) - np.repeat(np.cumsum(counts) - counts, counts)  # 0 is the first purchase
    scale = kth[customer]
    t_weeks = rng.random(customer.size) * scale
    kth_row = position == repeats[customer]
    t_weeks[kth_row] = scale[kth_row]
    t_weeks[position == 0] = 0.0
    order = np.lexsort((t_weeks, customer))
    spend = rng.gamma(params.p, 1 / nu[customer])
    return customer, t_weeks[order], spend


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
    if file_format not in FILE_FORMATS:
        raise ValueError(f"file_format must be one of {', '.join(FILE_FORMATS)}, got {file_format!r}")
    if customers < 1:
        raise ValueError("customers must be >= 1")
    first_day, last_day = date.fromisoformat(start), date.fromisoformat(end)
    if last_day < first_day:
        raise ValueError(f"end ({end}) is before start ({start})")
    calendar = _Calendar(first_day, last_day)
    streams = dict(zip(STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(STREAMS)))))

    people = _customers(customers, calendar, multi_currency, streams["customers"])
    fx = _fx_rates(calendar, multi_currency, streams["fx"])
    orders = _orders(people, calendar, params, fx, streams["purchases"], streams["orders"])
    tickets = _tickets(people, orders, calendar, streams["tickets"])
    answers = _survey_responses(people, orders, calendar, streams["surveys"])
    spend = _marketing_spend(people, calendar, streams["spend"])

    with _MonthlyFiles(Path(landing_dir), file_format) as files:
        written = {
            ORDERS.folder: files.write(ORDERS, orders["ordered_at"], lambda rows, fmt: _orders_table(orders, customers, rows, fmt)),
            SUPPORT_TICKETS.folder: files.write(SUPPORT_TICKETS, tickets["created_at"], lambda rows, fmt: _tickets_table(tickets, customers, rows)),
            SURVEY_RESPONSES.folder: files.write(SURVEY_RESPONSES, answers["responded_at"], lambda rows, fmt: _answers_table(answers, customers, rows)),
            MARKETING_SPEND.folder: files.write(MARKETING_SPEND, spend["spend_date"] * DAY, lambda rows, fmt: _spend_table(spend, rows, fmt)),
        }
        if multi_currency:
            written[FX_RATES.folder] = files.write(FX_RATES, fx["rate_date"] * DAY, lambda rows, fmt: _fx_table(fx, rows, fmt))
    return written


class _Calendar:
    """The observation window in epoch seconds and days: [start 00:00, end + 1 day 00:00)."""

    def __init__(self, first_day: date, last_day: date):
        epoch = date(1970, 1, 1)
        self.first_day = (first_day - epoch).days
        self.days = (last_day - first_day).days + 1
        self.start = self.first_day * DAY
        self.end = (self.first_day + self.days) * DAY


def _time_of_day(size: int, rng: np.random.Generator) -> np.ndarray:
    hours = rng.choice(24, size=size, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return hours * 3600 + rng.integers(0, 3600, size)


def _customers(n: int, calendar: _Calendar, multi_currency: bool, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Customers in acquisition order (customer number i + 1 is the i-th acquired) with their latent traits."""
    growth = np.log(GROWTH)
    share_of_window = np.log1p(rng.random(n) * (GROWTH - 1)) / growth  # inverse CDF of a density growing like exp(growth * x)
    day = np.minimum((share_of_window * calendar.days).astype(np.int64), calendar.days - 1)
    acquired_at = np.sort(calendar.start + day * DAY + _time_of_day(n, rng))
    currency_weights = CURRENCY_WEIGHTS if multi_currency else (1.0, 0.0, 0.0)
    return {
        "acquired_at": acquired_at,
        "channel": rng.choice(len(ACQUISITION_CHANNELS), size=n, p=ACQUISITION_WEIGHTS).astype(np.int8),
        "currency": rng.choice(len(CURRENCIES), size=n, p=currency_weights).astype(np.int8),
        "refund_rate": rng.beta(0.6, 11.4, n),  # mean 5%, a few customers refund a lot
        "ticket_propensity": rng.gamma(2.0, 0.5, n),  # mean 1
        "satisfaction": rng.standard_normal(n),
        "nps_responder": rng.random(n) < NPS_RESPONDER_RATE,
    }


def _fx_rates(calendar: _Calendar, multi_currency: bool, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Daily rates to the reporting currency: a mean-reverting random walk around a typical level.

    `rate` has one row per currency of CURRENCIES (the reporting currency's is 1) and one column per day.
    """
    rate = np.ones((len(CURRENCIES), calendar.days))
    if multi_currency:
        shocks = rng.normal(0.0, 0.004, (len(FX_START), calendar.days))
        for row, level in enumerate(FX_START.values(), start=1):
            deviation = np.zeros(calendar.days)
            for day in range(1, calendar.days):  # one step per day, not per customer
                deviation[day] = 0.98 * deviation[day - 1] + shocks[row - 1, day]
            rate[row] = np.round(level * np.exp(deviation), 6)
    foreign = np.arange(1, len(CURRENCIES)) if multi_currency else np.arange(0)
    return {
        "rate": rate,
        "rate_date": np.repeat(np.arange(calendar.days) + calendar.first_day, foreign.size),
        "currency": np.tile(foreign, calendar.days).astype(np.int8),
        "micro_rate": np.round(rate[foreign].T.ravel() * 1_000_000).astype(np.int64),
    }


def _orders(people, calendar: _Calendar, params: BehaviourParams, fx, purchases_rng, rng) -> dict[str, np.ndarray]:
    """All orders, sorted by time (then customer): the position is the order number in the order id."""
    acquired_at = people["acquired_at"]
    customer, t_weeks, spend_usd = _simulate(acquired_at.size, params, (calendar.end - acquired_at) / WEEK, purchases_rng)

    # Repeat purchases keep the simulated day and get a time of day like any other event.
    first_purchase = np.r_[True, customer[1:] != customer[:-1]]
    repeat_day = (acquired_at[customer] + t_weeks * WEEK).astype(np.int64) // DAY
    at = np.where(first_purchase, acquired_at[customer], repeat_day * DAY + _time_of_day(customer.size, rng))
    by_customer = np.argsort(customer * (calendar.end - calendar.start) + (at - calendar.start), kind="stable")
    customer, at, spend_usd = customer[by_customer], at[by_customer], spend_usd[by_customer]
    starts = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]])
    rank = np.arange(customer.size) - np.repeat(starts, np.diff(np.r_[starts, customer.size]))

    age_days = (calendar.end - at) / DAY
    pending = rng.random(customer.size) < np.clip(0.8 * (1 - age_days / PENDING_WINDOW_DAYS), 0, None)
    outcome = rng.random(customer.size)
    refund_rate = people["refund_rate"][customer]
    status = np.select(
        [pending, outcome < refund_rate, outcome < refund_rate + CANCEL_RATE], [3, 1, 2], default=0
    ).astype(np.int8)

    currency = people["currency"][customer]
    day = at // DAY - calendar.first_day
    amount_cents = np.round(spend_usd / fx["rate"][currency, day] * 100).astype(np.int64)
    margin = rng.uniform(0.30, 0.60, customer.size)
    cost_cents = np.round(amount_cents * (1 - margin)).astype(np.int64)
    cost_missing = rng.random(customer.size) < MISSING_COST_RATE

    # Orders up to the first completed one come from the acquisition campaign; later ones mostly
    # organic, e-mail or direct. So the first completed order carries the acquisition channel.
    completed_rank = np.where(status == 0, rank, np.iinfo(np.int64).max)
    first_completed = np.minimum.reduceat(completed_rank, starts)
    acquisition = rank <= np.repeat(first_completed, np.diff(np.r_[starts, customer.size]))
    repeat_channel = rng.choice(len(REPEAT_CHANNELS), size=customer.size, p=REPEAT_WEIGHTS) + len(ACQUISITION_CHANNELS)
    channel = np.where(acquisition, people["channel"][customer], repeat_channel).astype(np.int8)
    email_upper = rng.random(customer.size) < 0.02  # some exports keep the customer's own spelling

    by_time = np.argsort((at - calendar.start) * acquired_at.size + customer, kind="stable")
    columns = {
        "customer": customer, "ordered_at": at, "status": status, "currency": currency, "amount_cents": amount_cents,
        "cost_cents": cost_cents, "cost_missing": cost_missing, "channel": channel, "email_upper": email_upper,
    }
    return {name: values[by_time] for name, values in columns.items()}


def _tickets(people, orders, calendar: _Calendar, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Support tickets raised after orders; refunds and cancellations raise more of them."""
    status = orders["status"]
    rate = people["ticket_propensity"][orders["customer"]] * (0.17 + 0.9 * (status == 1) + 0.3 * (status == 2))
    order = np.repeat(np.arange(status.size), rng.poisson(rate))
    n = order.size
    created = orders["ordered_at"][order] + np.round(rng.lognormal(np.log(2 * DAY), 1.0, n)).astype(np.int64)
    channel = rng.choice(len(TICKET_CHANNELS), size=n, p=TICKET_CHANNEL_WEIGHTS)
    refund_ticket = status[order] == 1
    priority = np.where(
        refund_ticket,
        rng.choice(len(PRIORITIES), size=n, p=(0.10, 0.45, 0.30, 0.15)),
        rng.choice(len(PRIORITIES), size=n, p=(0.25, 0.57, 0.14, 0.04)),
    )
    speed = np.array([1.0, 1.0, 0.75, 0.5])[priority]
    first_response = created + np.maximum(
        1, np.round(rng.lognormal(np.log(FIRST_RESPONSE_MEDIAN_HOURS[channel] * 3600 * speed), 1.0))
    ).astype(np.int64)
    resolution_seconds = np.minimum(rng.lognormal(np.log(RESOLUTION_MEDIAN_HOURS[channel] * 3600), 1.2), 30 * DAY)
    resolved = first_response + np.round(resolution_seconds).astype(np.int64)
    never_answered = rng.random(n) < UNANSWERED_RATE
    waiting = rng.random(n) < 0.4  # unresolved and answered: waiting on the customer (pending) or on us (open)
    answered_csat = rng.random(n) < 0.40
    noise = rng.standard_normal(n)

    keep = created < calendar.end
    answered = ~never_answered & (first_response < calendar.end)
    is_resolved = answered & (resolved < calendar.end)
    ticket_status = np.select(
        [is_resolved & (resolved < calendar.end - AUTO_CLOSE_DAYS * DAY), is_resolved, answered & waiting, answered,
         never_answered & (created < calendar.end - STALE_DAYS * DAY)],
        [4, 3, 2, 1, 4],
        default=0,
    ).astype(np.int8)
    # Slow resolutions and unhappy customers give lower scores.
    hours = np.maximum(resolved - created, 1) / 3600
    latent = 1.0 + 0.6 * people["satisfaction"][orders["customer"][order]] - 0.45 * np.log(hours / 24) + 0.9 * noise
    csat = np.digitize(latent, (-1.05, -0.3, 0.55, 1.6)) + 1
    columns = {
        "customer": orders["customer"][order], "created_at": created, "first_response_at": first_response,
        "first_response_missing": ~answered, "resolved_at": resolved, "resolved_missing": ~is_resolved,
        "status": ticket_status, "channel": channel.astype(np.int8), "priority": priority.astype(np.int8),
        "csat": csat, "csat_missing": ~(is_resolved & answered_csat),
    }
    by_time = np.lexsort((order[keep], created[keep]))
    return {name: values[keep][by_time] for name, values in columns.items()}


def _survey_responses(people, orders, calendar: _Calendar, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """NPS answers from a minority of customers (at least one each) and occasional CSAT answers.

    Scores follow the customer's latent satisfaction, rise with the number of completed orders
    and drop after a refund.
    """
    customer, status = orders["customer"], orders["status"]
    delivered = (status == 0) | (status == 1)
    completed_orders = np.bincount(customer, weights=status == 0, minlength=people["satisfaction"].size)
    draw = rng.random(customer.size)
    # Each NPS responder answers about a third of the surveys after delivered orders, and at least one.
    eligible = delivered & people["nps_responder"][customer]
    key = np.where(eligible, draw, -1.0)
    by_customer = np.lexsort((key, customer))
    last_of_customer = np.r_[customer[by_customer][1:] != customer[by_customer][:-1], True]
    forced = np.zeros(customer.size, dtype=bool)
    forced[by_customer[last_of_customer]] = True
    nps = eligible & ((draw < 0.3) | forced)
    csat = delivered & (rng.random(customer.size) < 0.08)

    order = np.r_[np.flatnonzero(nps), np.flatnonzero(csat)]
    survey_type = np.r_[np.zeros(nps.sum(), dtype=np.int8), np.ones(csat.sum(), dtype=np.int8)]
    n = order.size
    responded = orders["ordered_at"][order] + np.round(rng.lognormal(np.log(3 * DAY), 0.6, n)).astype(np.int64)
    who = customer[order]
    latent = (
        people["satisfaction"][who] + 0.4 * np.log(np.maximum(completed_orders[who], 1))
        - 1.5 * (status[order] == 1) + 0.7 * rng.standard_normal(n)
    )
    score = np.where(
        survey_type == 0, np.clip(np.round(8.0 + 1.7 * latent), 0, 10), np.clip(np.round(4.0 + 0.9 * latent), 1, 5)
    ).astype(np.int8)
    band = np.where(survey_type == 0, np.digitize(score, (7, 9)), np.digitize(score, (3, 5)))  # 0 low, 1 mid, 2 high
    comment_options = [COMMENTS[name] for name in ("low", "mid", "high")]
    comment_texts = [text for options in comment_options for text in options]
    offsets = np.cumsum([0] + [len(options) for options in comment_options])
    sizes = np.diff(offsets)
    pick = offsets[band] + (rng.random(n) * sizes[band]).astype(np.int64)
    has_comment = rng.random(n) < np.where(band == 0, 0.30, 0.12)

    keep = responded < calendar.end
    columns = {
        "customer": who, "responded_at": responded, "survey_type": survey_type, "score": score,
        "comment": np.where(has_comment, pick, -1),
    }
    by_time = np.lexsort((survey_type[keep], order[keep], responded[keep]))
    result = {name: values[keep][by_time] for name, values in columns.items()}
    result["comment_texts"] = np.array(comment_texts, dtype=object)
    return result


def _marketing_spend(people, calendar: _Calendar, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Daily spend per paid channel: CAC times new customers, mixed with the channel's smooth trend.

    The trend share keeps spend positive on days without a conversion, as real campaigns do.
    """
    paid = sorted(CHANNEL_CAC)
    day = (people["acquired_at"] // DAY - calendar.first_day).astype(np.int64)
    growth = np.log(GROWTH)
    position = (np.arange(calendar.days) + 0.5) / calendar.days
    trend = np.exp(growth * position) / np.exp(growth * position).sum()
    rows_day, rows_channel, rows_cents = [], [], []
    for index, name in enumerate(paid):  # one vector per channel, four channels
        code = ACQUISITION_CHANNELS.index(name)
        new = np.bincount(day[people["channel"] == code], minlength=calendar.days)
        expected = new.sum() * trend
        noise = rng.lognormal(0.0, 0.15, calendar.days)
        rows_cents.append(np.round(CHANNEL_CAC[name] * (0.7 * new + 0.3 * expected) * noise * 100).astype(np.int64))
        rows_day.append(np.arange(calendar.days) + calendar.first_day)
        rows_channel.append(np.full(calendar.days, index, dtype=np.int8))
    spend_date, channel, cents = np.concatenate(rows_day), np.concatenate(rows_channel), np.concatenate(rows_cents)
    by_day = np.lexsort((channel, spend_date))
    return {"spend_date": spend_date[by_day], "channel": channel[by_day], "cents": cents[by_day], "channels": np.array(paid)}


# Writing -------------------------------------------------------------------------------------


class _MonthlyFiles:
    """Writes a source's rows one file per month: `<folder>/<folder>_<YYYY-MM>.<format>`."""

    def __init__(self, root: Path, file_format: str):
        self.root, self.file_format = root, file_format
        self._duckdb: duckdb.DuckDBPyConnection | None = None  # JSON Lines writer, opened once

    def __enter__(self) -> "_MonthlyFiles":
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
        for begin, stop in zip(bounds[:-1], bounds[1:]):
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
            options = pa_csv.WriteOptions(include_header=False, quoting_style="needed" if _needs_quotes(table) else "none")
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
    return pa.array([f"{h:02d}:{m:02d}:{s:02d}" for h, m, s in zip(seconds // 3600, seconds // 60 % 60, seconds % 60)])


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


def _orders_table(orders, customers: int, rows: slice, file_format: str) -> pa.Table:
    customer = orders["customer"][rows]
    number = pc.cast(pa.array(customer + 1), pa.string())
    upper = orders["email_upper"][rows]
    email = pc.binary_join_element_wise(
        pc.if_else(pa.array(upper), "User", "user"), number, pc.if_else(pa.array(upper), "@Example.com", "@example.com"), ""
    )
    return pa.table({
        "order_id": _ids("O", np.arange(rows.start, rows.stop) + 1, orders["customer"].size, 8),
        "customer_id": _customer_ids(customer, customers),
        "ordered_at": _timestamps(orders["ordered_at"][rows], "T", "Z"),
        "status": _labels(ORDER_STATUSES, orders["status"][rows]),
        "currency": _labels(CURRENCIES, orders["currency"][rows]),
        "amount": _decimal(orders["amount_cents"][rows], 2, file_format),
        "cost": _decimal(orders["cost_cents"][rows], 2, file_format, orders["cost_missing"][rows]),
        "channel": _labels(ACQUISITION_CHANNELS + REPEAT_CHANNELS, orders["channel"][rows]),
        "customer_email": email,
    })


def _tickets_table(tickets, customers: int, rows: slice) -> pa.Table:
    return pa.table({
        "ticket_id": _ids("T", np.arange(rows.start, rows.stop) + 1, tickets["customer"].size, 8),
        "customer_id": _customer_ids(tickets["customer"][rows], customers),
        "created_at": _timestamps(tickets["created_at"][rows], " "),
        "first_response_at": _timestamps(tickets["first_response_at"][rows], " ", missing=tickets["first_response_missing"][rows]),
        "resolved_at": _timestamps(tickets["resolved_at"][rows], " ", missing=tickets["resolved_missing"][rows]),
        "status": _labels(TICKET_STATUSES, tickets["status"][rows]),
        "channel": _labels(TICKET_CHANNELS, tickets["channel"][rows]),
        "priority": _labels(PRIORITIES, tickets["priority"][rows]),
        "csat_score": _integers(tickets["csat"][rows], tickets["csat_missing"][rows]),
    })


def _answers_table(answers, customers: int, rows: slice) -> pa.Table:
    comment = answers["comment"][rows]
    return pa.table({
        "response_id": _ids("R", np.arange(rows.start, rows.stop) + 1, answers["customer"].size, 8),
        "customer_id": _customer_ids(answers["customer"][rows], customers),
        "responded_at": _timestamps(answers["responded_at"][rows], " "),
        "survey_type": _labels(SURVEY_TYPES, answers["survey_type"][rows]),
        "score": _integers(answers["score"][rows]),
        "comment": _with_nulls(_labels(answers["comment_texts"], np.maximum(comment, 0)), comment < 0),
    })


def _spend_table(spend, rows: slice, file_format: str) -> pa.Table:
    size = rows.stop - rows.start
    return pa.table({
        "spend_date": _dates(spend["spend_date"][rows]),
        "channel": _labels(spend["channels"], spend["channel"][rows]),
        "spend": _decimal(spend["cents"][rows], 2, file_format),
        "currency": pa.array([CURRENCIES[0]] * size, pa.string()),
    })


def _fx_table(fx, rows: slice, file_format: str) -> pa.Table:
    return pa.table({
        "rate_date": _dates(fx["rate_date"][rows]),
        "currency": _labels(CURRENCIES, fx["currency"][rows]),
        "rate_to_reporting": _decimal(fx["micro_rate"][rows], 6, file_format),
    })


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
    parser.add_argument("--format", dest="file_format", choices=FILE_FORMATS, default="csv")
    args = parser.parse_args(argv)
    target = args.landing_dir or default_landing_dir()
    began = time.perf_counter()
    written = generate(target, customers=args.customers, seed=args.seed, file_format=args.file_format)
    counts = ", ".join(f"{rows:,} {folder}" for folder, rows in written.items())
    print(f"Wrote {counts} ({args.file_format}) to {target} in {time.perf_counter() - began:.1f}s")


if __name__ == "__main__":
    main()
