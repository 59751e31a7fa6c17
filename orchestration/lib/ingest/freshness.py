"""Whether a source delivered rows within its freshness window, said in words: what its freshness check reports."""

from dataclasses import dataclass

DAY_SECONDS = 86_400


def duration_in_words(seconds: float) -> str:
    """`2 days, 3 hours`: the days, hours and minutes that are not zero; under a minute, `less than a minute`."""
    days, rest = divmod(max(0, int(seconds)), DAY_SECONDS)  # a clock a little behind the ledger's is no time
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [
        f"{count} {unit}{'s' if count > 1 else ''}"
        for count, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))
        if count
    ]
    return ", ".join(parts) or "less than a minute"


@dataclass(frozen=True)
class Freshness:
    passed: bool
    description: str
    fresh_until: float | None  # when a fresh source becomes late without another delivery


def judge_freshness(folder: str, window_days: float, now: float, last_delivery: float | None) -> Freshness:
    """A source is fresh when it last delivered rows (`last_delivery`, None if it never did) within the window
    before `now`; both are seconds since the epoch."""
    window = window_days * DAY_SECONDS
    expected = f"expected at least every {duration_in_words(window)}"
    if last_delivery is None:
        return Freshness(False, f"{folder}: never delivered ({expected})", None)
    ago = duration_in_words(now - last_delivery)
    if last_delivery >= now - window:
        return Freshness(True, f"{folder}: last delivered {ago} ago ({expected})", last_delivery + window)
    return Freshness(False, f"{folder}: overdue, last delivered {ago} ago ({expected})", None)
