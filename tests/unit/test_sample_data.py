"""The sample-data generator: deterministic, in the landing contract, and behaving like its model."""

import re
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from orchestration.lib.ingest.contract import SOURCES
from tools.sample_data import BehaviourParams, generate, main, simulate_purchases

START, END = date(2023, 1, 1), date(2025, 12, 31)


CUSTOMERS, SEED = 500, 3


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample") / "landing"
    return root, generate(root, customers=CUSTOMERS, seed=SEED)


def read_folder(root, folder: str) -> pd.DataFrame:
    files = sorted((root / folder).glob("*.csv"))
    assert len(files) > 1, f"{folder} should be split by month"
    return pd.concat([pd.read_csv(path, dtype=str, keep_default_na=False) for path in files], ignore_index=True)


def folder_bytes(root) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def expected_repeats(params: BehaviourParams, t: float) -> float:
    """E[X(t)] of BG/NBD (Fader, Hardie & Lee 2005, eq. 9)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


def test_same_seed_same_bytes_other_seed_other_bytes(landing, tmp_path):
    root, written = landing
    assert generate(tmp_path / "same", customers=CUSTOMERS, seed=SEED) == written
    assert folder_bytes(tmp_path / "same") == folder_bytes(root)
    generate(tmp_path / "other", customers=CUSTOMERS, seed=SEED + 1)
    assert (
        folder_bytes(tmp_path / "other")["orders/orders_2024-06.csv"] != folder_bytes(root)["orders/orders_2024-06.csv"]
    )


def test_every_folder_has_the_contract_columns_in_order_and_the_written_rows(landing):
    root, written = landing
    assert set(written) == {source.folder for source in SOURCES}
    for source in SOURCES:
        files = sorted((root / source.folder).glob("*.csv"))
        assert [path.name for path in files] == sorted(
            path.name for path in files if re.fullmatch(rf"{source.folder}_\d{{4}}-\d{{2}}\.csv", path.name)
        )
        for path in files:
            assert path.read_text().splitlines()[0] == ",".join(column.name for column in source.columns), path
        frame = read_folder(root, source.folder)
        assert len(frame) == written[source.folder]
        assert not frame.duplicated(list(source.key)).any(), source.folder
        for column in source.columns:
            if not column.nullable:
                assert (frame[column.name] != "").all(), f"{source.folder}.{column.name}"


def test_orders(landing):
    root, _ = landing
    orders = read_folder(root, "orders")
    assert orders["order_id"].str.fullmatch(r"O\d{8}").all() and orders["customer_id"].str.fullmatch(r"C\d{7}").all()
    assert orders["customer_id"].nunique() == CUSTOMERS
    assert orders["ordered_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    at = pd.to_datetime(orders["ordered_at"]).dt.tz_localize(None)
    assert at.min() >= pd.Timestamp(START) and at.max() < pd.Timestamp(END + timedelta(days=1))

    shares = orders["status"].value_counts(normalize=True)
    assert set(shares.index) <= {"completed", "refunded", "cancelled", "pending"}
    assert 0.83 < shares["completed"] < 0.93 and 0.02 < shares["refunded"] < 0.09 and 0.02 < shares["cancelled"] < 0.09
    assert (at[orders["status"] == "pending"] >= pd.Timestamp(END - timedelta(days=13))).all()

    assert orders["amount"].str.fullmatch(r"\d+\.\d\d").all()
    amount = orders["amount"].astype(float)
    cost = pd.to_numeric(orders["cost"].replace("", np.nan))
    assert (amount >= 0).all() and (cost.dropna() <= amount[cost.notna()]).all()
    assert 0.02 < cost.isna().mean() < 0.09
    assert 0.30 <= (1 - cost / amount)[amount > 5].median() <= 0.60

    # Each customer pays in one currency; most in USD.
    assert set(orders["currency"]) == {"USD", "EUR", "GBP"}
    assert (orders.groupby("customer_id")["currency"].nunique() == 1).all()
    assert 0.75 < (orders.drop_duplicates("customer_id")["currency"] == "USD").mean() < 0.95

    emails = orders["customer_email"].str.lower()
    assert (emails == "user" + orders["customer_id"].str[1:].astype(int).astype(str) + "@example.com").all()


def test_first_completed_order_carries_the_acquisition_channel(landing):
    root, _ = landing
    orders = read_folder(root, "orders").sort_values(["ordered_at", "order_id"])
    acquisition = {"organic", "paid_search", "paid_social", "email", "referral", "affiliate"}
    first = orders[orders["status"] == "completed"].groupby("customer_id")["channel"].first()
    assert set(first) <= acquisition and first.nunique() == len(acquisition)
    later = orders[orders.groupby("customer_id").cumcount() > 0]
    assert later["channel"].isin(["organic", "email", "direct"]).mean() > 0.8


def test_customers_differ_one_time_frequent_and_lapsed_buyers(landing):
    root, _ = landing
    orders = read_folder(root, "orders")
    per_customer = orders.groupby("customer_id").size()
    assert 0.35 < (per_customer == 1).mean() < 0.7
    assert (per_customer >= 5).mean() > 0.08
    last = pd.to_datetime(orders["ordered_at"]).dt.tz_localize(None).groupby(orders["customer_id"]).max()
    lapsed = per_customer[(last < pd.Timestamp("2025-01-01")) & (per_customer >= 3)]
    assert len(lapsed) > 10


def test_support_tickets(landing):
    root, _ = landing
    tickets, orders = read_folder(root, "support_tickets"), read_folder(root, "orders")
    assert set(tickets["customer_id"]) <= set(orders["customer_id"])
    assert 0.15 < len(tickets) / len(orders) < 0.35
    assert set(tickets["status"]) <= {"new", "open", "pending", "solved", "closed"}
    assert set(tickets["channel"]) <= {"email", "chat", "phone", "whatsapp", "other"}
    assert set(tickets["priority"]) <= {"low", "normal", "high", "urgent"}
    assert tickets["created_at"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()

    created = pd.to_datetime(tickets["created_at"])
    first_response = pd.to_datetime(tickets["first_response_at"].replace("", None))
    resolved = pd.to_datetime(tickets["resolved_at"].replace("", None))
    assert (first_response.dropna() >= created[first_response.notna()]).all()
    assert first_response[resolved.notna()].notna().all()
    assert (resolved.dropna() >= first_response[resolved.notna()]).all()
    assert resolved[tickets["status"].isin(["new", "open", "pending"])].isna().all()
    assert tickets["status"].isin(["solved", "closed"]).mean() > 0.9

    hours = (first_response - created).dt.total_seconds() / 3600
    assert hours[tickets["channel"] == "chat"].median() < 1 < hours[tickets["channel"] == "email"].median()
    assert hours[tickets["channel"] == "email"].quantile(0.9) < 4  # the SLA (`support_sla_hours`)

    csat = pd.to_numeric(tickets["csat_score"].replace("", np.nan))
    assert set(csat.dropna()) <= {1, 2, 3, 4, 5}
    assert 0.3 < csat[tickets["status"].isin(["solved", "closed"])].notna().mean() < 0.5
    slow = (resolved - created).dt.total_seconds() > 48 * 3600
    assert csat[slow].mean() < csat[~slow].mean()

    # Customers with a refund write more tickets per order.
    refunders = set(orders.loc[orders["status"] == "refunded", "customer_id"])
    per_order = (tickets.groupby("customer_id").size() / orders.groupby("customer_id").size()).fillna(0)
    assert per_order[per_order.index.isin(refunders)].mean() > 1.5 * per_order[~per_order.index.isin(refunders)].mean()


def test_survey_responses(landing):
    root, _ = landing
    answers, orders = read_folder(root, "survey_responses"), read_folder(root, "orders")
    assert set(answers["customer_id"]) <= set(orders["customer_id"])
    assert set(answers["survey_type"]) == {"nps", "csat"}
    score = answers["score"].astype(int)
    nps_answers = answers["survey_type"] == "nps"
    assert score[nps_answers].between(0, 10).all() and score[~nps_answers].between(1, 5).all()
    assert 0.2 < answers.loc[nps_answers, "customer_id"].nunique() / CUSTOMERS < 0.35
    nps = 100 * ((score[nps_answers] >= 9).mean() - (score[nps_answers] <= 6).mean())
    assert 10 < nps < 50
    assert 0.05 < (answers["comment"] != "").mean() < 0.3

    frequent = orders.groupby("customer_id").size() >= 5
    by_frequency = score[nps_answers].groupby(answers.loc[nps_answers, "customer_id"].map(frequent)).mean()
    assert by_frequency[True] > by_frequency[False]


def test_marketing_spend_and_fx_rates(landing):
    root, _ = landing
    spend, rates, orders = (
        read_folder(root, "marketing_spend"),
        read_folder(root, "fx_rates"),
        read_folder(root, "orders"),
    )
    days = (END - START).days + 1
    assert len(spend) == 4 * days and set(spend["channel"]) == {"paid_search", "paid_social", "affiliate", "email"}
    assert (spend["currency"] == "USD").all() and spend["spend"].str.fullmatch(r"\d+\.\d\d").all()
    totals = spend.assign(spend=spend["spend"].astype(float)).groupby("channel")["spend"].sum()
    new_customers = (
        orders.sort_values(["ordered_at", "order_id"]).groupby("customer_id")["channel"].first().value_counts()
    )
    cac = totals / new_customers[totals.index]
    assert cac.between(3, 40).all() and cac["paid_social"] > cac["email"]

    assert len(rates) == 2 * days and set(rates["currency"]) == {"EUR", "GBP"}
    rate = rates.assign(rate=rates["rate_to_reporting"].astype(float)).groupby("currency")["rate"]
    assert rate.min()["EUR"] > 0.9 and rate.max()["EUR"] < 1.3 and rate.min()["GBP"] > 1.1 and rate.max()["GBP"] < 1.45
    foreign = orders[orders["currency"] != "USD"]
    needed = set(zip(foreign["ordered_at"].str[:10], foreign["currency"], strict=True))
    assert needed <= set(zip(rates["rate_date"], rates["currency"], strict=True))


def test_single_currency_writes_no_fx_rates(tmp_path):
    written = generate(tmp_path, customers=100, seed=1, multi_currency=False)
    assert "fx_rates" not in written and not (tmp_path / "fx_rates").exists()
    assert set(read_folder(tmp_path, "orders")["currency"]) == {"USD"}


@pytest.mark.parametrize("file_format", ["parquet", "jsonl"])
def test_other_formats_hold_the_same_rows(landing, tmp_path, file_format):
    root, csv = landing
    assert generate(tmp_path / file_format, customers=CUSTOMERS, seed=SEED, file_format=file_format) == csv
    reader = "read_parquet" if file_format == "parquet" else "read_json"
    for source in SOURCES:
        pattern = str(tmp_path / file_format / source.folder / f"*.{file_format}")
        relation = duckdb.sql(f"SELECT * FROM {reader}('{pattern}')")
        assert relation.columns == [column.name for column in source.columns]
        assert len(relation.fetchall()) == csv[source.folder]
    amounts = duckdb.sql(
        f"SELECT order_id, amount, cost FROM {reader}('{tmp_path / file_format}/orders/*') ORDER BY 1"
    ).df()
    expected = read_folder(root, "orders").sort_values("order_id")
    np.testing.assert_array_equal(amounts["amount"].to_numpy(), expected["amount"].astype(float).to_numpy())
    assert amounts["cost"].isna().sum() == (expected["cost"] == "").sum()


def test_cli_writes_and_summarises(tmp_path, capsys):
    main(["--landing-dir", str(tmp_path), "--customers", "50", "--seed", "4", "--format", "parquet"])
    assert re.match(r"Wrote [\d,]+ orders, .* \(parquet\) to ", capsys.readouterr().out)
    assert list((tmp_path / "orders").glob("*.parquet"))


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="file_format"):
        generate(tmp_path, customers=10, file_format="xlsx")
    with pytest.raises(ValueError, match="before start"):
        generate(tmp_path, customers=10, start="2024-01-01", end="2023-01-01")


def test_simulated_purchases_follow_bg_nbd_and_gamma_gamma():
    params = BehaviourParams()
    weeks = 52.0
    purchases = simulate_purchases(200_000, params, weeks, np.random.default_rng(0))
    assert list(purchases.columns) == ["customer_index", "t_weeks", "spend"]
    repeats = np.bincount(purchases["customer_index"], minlength=200_000) - 1
    assert repeats.min() == 0  # everyone has the first purchase
    assert repeats.mean() == pytest.approx(expected_repeats(params, weeks), rel=0.03)
    # Nobody drops out before a repeat purchase, so P(X(t) = 0) = P(no Poisson event) = (alpha / (alpha + t))^r.
    assert (repeats == 0).mean() == pytest.approx((params.alpha / (params.alpha + weeks)) ** params.r, abs=0.01)
    assert purchases["spend"].mean() == pytest.approx(params.p * params.gamma / (params.q - 1), rel=0.03)
    assert (purchases["spend"] > 0).all()

    first = purchases.groupby("customer_index")["t_weeks"].first()
    assert (first == 0).all()
    assert purchases["t_weeks"].between(0, weeks).all()
    assert (purchases.groupby("customer_index")["t_weeks"].diff().dropna() >= 0).all()


def test_simulated_purchases_with_one_horizon_per_customer():
    params = BehaviourParams(r=0.5, alpha=3.0, a=1.5, b=3.0)
    horizons = np.random.default_rng(1).uniform(0, 104, 100_000)
    purchases = simulate_purchases(100_000, params, horizons, np.random.default_rng(2))
    repeats = np.bincount(purchases["customer_index"], minlength=horizons.size) - 1
    expected = np.mean([expected_repeats(params, t) for t in horizons])
    assert repeats.mean() == pytest.approx(expected, rel=0.03)
    assert (purchases["t_weeks"].to_numpy() <= horizons[purchases["customer_index"]]).all()
