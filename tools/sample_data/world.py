"""The sample world: calendar, customers, FX rates, orders, tickets, survey answers and spend, as whole numpy arrays."""

from datetime import date

import numpy as np

from tools.sample_data.behaviour import BehaviourParams, simulate_arrays

DAY = 86_400
WEEK = 7 * DAY

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

SAMPLE_CURRENCIES = ("USD", "EUR", "GBP")  # the first is the reporting currency
CURRENCY_WEIGHTS = (0.85, 0.09, 0.06)
FX_START = {"EUR": 1.08, "GBP": 1.27}

ORDER_STATUSES = ("completed", "refunded", "cancelled", "pending")
CANCEL_RATE = 0.05
PENDING_WINDOW_DAYS = 14
MISSING_COST_RATE = 0.05

TICKET_STATUSES = ("new", "open", "pending", "solved", "closed")
TICKET_CHANNELS = ("email", "chat", "phone", "whatsapp", "other")
TICKET_CHANNEL_WEIGHTS = (0.45, 0.25, 0.15, 0.10, 0.05)
# Median hours to a first response and from it to a resolution, per ticket channel. Written tickets are
# answered in a steady queue (a narrow spread) well inside the 4-hour SLA the dbt project assumes
# (`support_sla_hours`), so that the sample raises no metric flag; live channels answer fast but unevenly.
FIRST_RESPONSE_MEDIAN_HOURS = np.array([2.1, 0.5, 0.5, 0.5, 2.1])
FIRST_RESPONSE_SPREAD = np.array([0.3, 1.0, 1.0, 1.0, 0.3])
RESOLUTION_MEDIAN_HOURS = np.array([20.0, 3.0, 3.0, 5.0, 20.0])
PRIORITIES = ("low", "normal", "high", "urgent")
UNANSWERED_RATE = 0.03
AUTO_CLOSE_DAYS = 4  # a solved ticket is closed after this many days
STALE_DAYS = 14  # an unanswered ticket older than this was closed without a resolution

SURVEY_TYPES = ("nps", "csat")
NPS_RESPONDER_RATE = 0.28
COMMENTS = {
    "low": (
        "Delivery took too long",
        "Item arrived damaged, refund was slow",
        "Support never got back to me",
        'The "express" shipping was not express',
    ),
    "mid": ("Good, but shipping costs are high", "OK overall", "Decent quality, average prices"),
    "high": (
        "Great products, fast delivery",
        "Love it!",
        "Customer service was super helpful",
        'Best shop I know, "highly" recommended',
    ),
}


class Calendar:
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


def draw_customers(n: int, calendar: Calendar, multi_currency: bool, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Customers in acquisition order (customer number i + 1 is the i-th acquired) with their latent traits."""
    growth = np.log(GROWTH)
    share_of_window = (
        np.log1p(rng.random(n) * (GROWTH - 1)) / growth
    )  # inverse CDF of a density growing like exp(growth * x)
    day = np.minimum((share_of_window * calendar.days).astype(np.int64), calendar.days - 1)
    acquired_at = np.sort(calendar.start + day * DAY + _time_of_day(n, rng))
    currency_weights = CURRENCY_WEIGHTS if multi_currency else (1.0, 0.0, 0.0)
    return {
        "acquired_at": acquired_at,
        "channel": rng.choice(len(ACQUISITION_CHANNELS), size=n, p=ACQUISITION_WEIGHTS).astype(np.int8),
        "currency": rng.choice(len(SAMPLE_CURRENCIES), size=n, p=currency_weights).astype(np.int8),
        "refund_rate": rng.beta(0.6, 11.4, n),  # mean 5%, a few customers refund a lot
        "ticket_propensity": rng.gamma(2.0, 0.5, n),  # mean 1
        "satisfaction": rng.standard_normal(n),
        "nps_responder": rng.random(n) < NPS_RESPONDER_RATE,
    }


def draw_fx_rates(calendar: Calendar, multi_currency: bool, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Daily rates to the reporting currency: a mean-reverting random walk around a typical level.

    `rate` has one row per currency of SAMPLE_CURRENCIES (the reporting currency's is 1) and one column per day.
    """
    rate = np.ones((len(SAMPLE_CURRENCIES), calendar.days))
    if multi_currency:
        shocks = rng.normal(0.0, 0.004, (len(FX_START), calendar.days))
        for row, level in enumerate(FX_START.values(), start=1):
            deviation = np.zeros(calendar.days)
            for day in range(1, calendar.days):  # one step per day, not per customer
                deviation[day] = 0.98 * deviation[day - 1] + shocks[row - 1, day]
            rate[row] = np.round(level * np.exp(deviation), 6)
    foreign = np.arange(1, len(SAMPLE_CURRENCIES)) if multi_currency else np.arange(0)
    return {
        "rate": rate,
        "rate_date": np.repeat(np.arange(calendar.days) + calendar.first_day, foreign.size),
        "currency": np.tile(foreign, calendar.days).astype(np.int8),
        "micro_rate": np.round(rate[foreign].T.ravel() * 1_000_000).astype(np.int64),
    }


def draw_orders(people, calendar: Calendar, params: BehaviourParams, fx, purchases_rng, rng) -> dict[str, np.ndarray]:
    """All orders, sorted by time (then customer): the position is the order number in the order id."""
    acquired_at = people["acquired_at"]
    customer, t_weeks, spend_usd = simulate_arrays(
        acquired_at.size, params, (calendar.end - acquired_at) / WEEK, purchases_rng
    )

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
        "customer": customer,
        "ordered_at": at,
        "status": status,
        "currency": currency,
        "amount_cents": amount_cents,
        "cost_cents": cost_cents,
        "cost_missing": cost_missing,
        "channel": channel,
        "email_upper": email_upper,
    }
    return {name: values[by_time] for name, values in columns.items()}


def draw_tickets(people, orders, calendar: Calendar, rng: np.random.Generator) -> dict[str, np.ndarray]:
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
        1,
        np.round(
            rng.lognormal(np.log(FIRST_RESPONSE_MEDIAN_HOURS[channel] * 3600 * speed), FIRST_RESPONSE_SPREAD[channel])
        ),
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
        [
            is_resolved & (resolved < calendar.end - AUTO_CLOSE_DAYS * DAY),
            is_resolved,
            answered & waiting,
            answered,
            never_answered & (created < calendar.end - STALE_DAYS * DAY),
        ],
        [4, 3, 2, 1, 4],
        default=0,
    ).astype(np.int8)
    # Slow resolutions and unhappy customers give lower scores.
    hours = np.maximum(resolved - created, 1) / 3600
    latent = 1.0 + 0.6 * people["satisfaction"][orders["customer"][order]] - 0.45 * np.log(hours / 24) + 0.9 * noise
    csat = np.digitize(latent, (-1.05, -0.3, 0.55, 1.6)) + 1
    columns = {
        "customer": orders["customer"][order],
        "created_at": created,
        "first_response_at": first_response,
        "first_response_missing": ~answered,
        "resolved_at": resolved,
        "resolved_missing": ~is_resolved,
        "status": ticket_status,
        "channel": channel.astype(np.int8),
        "priority": priority.astype(np.int8),
        "csat": csat,
        "csat_missing": ~(is_resolved & answered_csat),
    }
    by_time = np.lexsort((order[keep], created[keep]))
    return {name: values[keep][by_time] for name, values in columns.items()}


def draw_survey_responses(people, orders, calendar: Calendar, rng: np.random.Generator) -> dict[str, np.ndarray]:
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
        people["satisfaction"][who]
        + 0.4 * np.log(np.maximum(completed_orders[who], 1))
        - 1.5 * (status[order] == 1)
        + 0.7 * rng.standard_normal(n)
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
        "customer": who,
        "responded_at": responded,
        "survey_type": survey_type,
        "score": score,
        "comment": np.where(has_comment, pick, -1),
    }
    by_time = np.lexsort((survey_type[keep], order[keep], responded[keep]))
    result = {name: values[keep][by_time] for name, values in columns.items()}
    result["comment_texts"] = np.array(comment_texts, dtype=object)
    return result


def draw_marketing_spend(people, calendar: Calendar, rng: np.random.Generator) -> dict[str, np.ndarray]:
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
    return {
        "spend_date": spend_date[by_day],
        "channel": channel[by_day],
        "cents": cents[by_day],
        "channels": np.array(paid),
    }


# Writing -------------------------------------------------------------------------------------
