"""The marts, built through Dagster on generated data, agree with an independent pandas computation."""

import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.defs.transform.artifacts import seed_partial_parse
from orchestration.lib.ingest.contract import PORTABLE_TYPES
from orchestration.lib.report.summary import business_summary
from orchestration.lib.settings import PROJECT_ROOT
from tests.helpers import declared_sources, run_lifecycle_job
from tools.sample_data import generate


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Generate a small landing zone, run the job once, and hand tests the landing files and the warehouse."""
    root = tmp_path_factory.mktemp("marts")
    landing, warehouse = root / "landing", root / "warehouse.duckdb"
    written = generate(landing, customers=400, seed=11)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIFECYCLE_LANDING_DIR", str(landing))
        patch.setenv("LIFECYCLE_WAREHOUSE", str(warehouse))
        patch.delenv("LIFECYCLE_AS_OF", raising=False)
        result = run_lifecycle_job()
        assert result.success, [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            ledger = connection.execute("SELECT * FROM ingest.file_ledger ORDER BY load_id").fetchall()
        # Ingesting the same files again loads nothing.
        assert run_lifecycle_job("shop/orders", "support/tickets", "surveys/responses").success
        # Beside the steps' folders, to start from their parse cache as a step would (same vars, same profile).
        unit_tests_target = root / "dbt" / "unit_tests"
        seed_partial_parse(unit_tests_target)
        unit_tests = run_dbt_unit_tests(unit_tests_target)
    connection = duckdb.connect(str(warehouse), read_only=True)
    assert connection.execute("SELECT * FROM ingest.file_ledger ORDER BY load_id").fetchall() == ledger
    yield landing, connection, written, unit_tests
    connection.close()


def run_dbt_unit_tests(target_path) -> subprocess.CompletedProcess:
    """The dbt unit tests (hand-computed rows per metric): the pipeline's runs leave them out, as dbt
    advises for production, so they run here, on the warehouse the job has just built."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.cli",
            "dbt",
            "test",
            "--select",
            "test_type:unit",
            "--target-path",
            str(target_path),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_dbt_unit_tests_pass(built):
    *_, unit_tests = built
    assert unit_tests.returncode == 0, unit_tests.stdout[-3000:]
    [summary] = [line for line in unit_tests.stdout.splitlines() if "Done. PASS=" in line]
    assert "PASS=0 " not in summary and " ERROR=0 " in summary, summary


def landing_frame(landing, folder: str) -> pd.DataFrame:
    return pd.concat(
        [pd.read_csv(path, dtype=str, keep_default_na=False) for path in sorted((landing / folder).glob("*.csv"))]
    )


def mart(connection, sql: str) -> pd.DataFrame:
    return connection.execute(sql).df()


@pytest.fixture(scope="module")
def orders_usd(built) -> pd.DataFrame:
    """Orders with USD amounts: the generator writes a rate for every day, so the same-day rate applies."""
    landing, _, _, _ = built
    orders = landing_frame(landing, "orders")
    orders["ordered_at"] = pd.to_datetime(orders["ordered_at"], utc=True).dt.tz_localize(None)
    orders["day"] = orders["ordered_at"].dt.normalize()
    orders["amount"] = orders["amount"].astype(float)
    rates = landing_frame(landing, "fx_rates")
    rates["day"] = pd.to_datetime(rates["rate_date"])
    rates["rate"] = rates["rate_to_reporting"].astype(float)
    orders = orders.merge(rates[["day", "currency", "rate"]], on=["day", "currency"], how="left")
    orders.loc[orders["currency"] == "USD", "rate"] = 1.0
    assert orders["rate"].notna().all()
    orders["amount_usd"] = (orders["amount"] * orders["rate"]).round(2)
    return orders


def test_raw_tables_hold_every_generated_row(built):
    _, connection, written, _ = built
    tables = {
        "orders": "shop.orders",
        "support_tickets": "support.tickets",
        "survey_responses": "surveys.responses",
        "marketing_spend": "marketing.spend",
        "fx_rates": "finance.fx_rates",
    }
    for folder, table in tables.items():
        assert connection.execute(f"SELECT count(*) FROM {table}").fetchall() == [(written[folder],)], table
    # e-mails leave staging only as SHA-256 hex digests, one view row per customer and address
    [(rows, customers, digests)] = connection.execute(
        "SELECT count(*), count(DISTINCT customer_id), count(*) FILTER (WHERE regexp_full_match(customer_email_hash, "
        "'[0-9a-f]{64}')) "
        "FROM staging.stg_shop__customer_emails"
    ).fetchall()
    assert rows == digests and customers > 0


def test_clv_predictions_are_published_with_the_fits(built):
    _, connection, _, _ = built
    fits = dict(
        ((m, p), v)
        for m, p, v in connection.execute("SELECT model, parameter, value FROM marts.clv_model_fits").fetchall()
    )
    assert set(fits) == {("bg_nbd", p) for p in ["r", "alpha", "a", "b"]} | {
        ("mbg_nbd", p) for p in ["r", "alpha", "a", "b"]
    } | {("gamma_gamma", p) for p in ("p", "q", "gamma")}
    [(buyers, predicted, bad_p_alive)] = connection.execute(
        """SELECT count(*), count(predicted_clv_12m), count(*) FILTER (WHERE p_alive NOT BETWEEN 0 AND 1)
           FROM marts.customers WHERE completed_orders > 0"""
    ).fetchall()
    assert predicted == buyers and bad_p_alive == 0


@pytest.mark.parametrize("table", ["clv_predictions", "clv_model_fits"])
def test_clv_tables_are_written_as_their_sources_declare(built, table):
    # Spark creates its external tables over the CLV step's Parquet files from these declarations.
    _, connection, _, _ = built
    written = [
        (name, PORTABLE_TYPES[type_]) for name, type_, *_ in connection.execute(f"DESCRIBE clv.{table}").fetchall()
    ]
    assert written == declared_sources()[("clv", table)]


def test_customer_revenue_and_order_counts(built, orders_usd):
    _, connection, _, _ = built
    completed = orders_usd[orders_usd["status"] == "completed"]
    expected = (
        pd.DataFrame(
            {
                "completed_orders": completed.groupby("customer_id").size(),
                "net_revenue": completed.groupby("customer_id")["amount_usd"].sum().round(2),
            }
        )
        .reindex(orders_usd["customer_id"].unique())
        .fillna(0)
        .sort_index()
    )
    actual = (
        mart(connection, "SELECT customer_id, completed_orders, net_revenue FROM marts.customers")
        .set_index("customer_id")
        .sort_index()
    )
    assert list(actual.index) == list(expected.index)
    assert (actual["completed_orders"].to_numpy() == expected["completed_orders"].to_numpy()).all()
    np.testing.assert_allclose(actual["net_revenue"].astype(float), expected["net_revenue"], atol=0.005)


def test_cohort_retention(built, orders_usd):
    _, connection, _, _ = built
    completed = orders_usd[orders_usd["status"] == "completed"].copy()
    completed["month"] = completed["ordered_at"].dt.to_period("M")
    completed["cohort"] = completed.groupby("customer_id")["month"].transform("min")
    completed["offset"] = (completed["month"] - completed["cohort"]).apply(lambda offset: offset.n)
    active = completed.groupby(["cohort", "offset"])["customer_id"].nunique()
    sizes = completed.groupby("cohort")["customer_id"].nunique()

    curve = mart(
        connection,
        "SELECT cohort_month, months_since_first_order, cohort_size, active_customers, retention_rate FROM "
        "marts.cohort_retention",
    )
    curve["cohort"] = pd.to_datetime(curve["cohort_month"]).dt.to_period("M")
    for row in curve.itertuples():
        expected_active = active.get((row.cohort, row.months_since_first_order), 0)
        assert row.cohort_size == sizes[row.cohort]
        assert row.active_customers == expected_active
        assert row.retention_rate == pytest.approx(round(expected_active / sizes[row.cohort], 4))
    # Every month from each cohort to the as-of month is there, active or not.
    as_of_month = pd.Period(connection.execute("SELECT max(as_of_date) FROM marts.customers").fetchall()[0][0], "M")
    assert len(curve) == sum((as_of_month - cohort).n + 1 for cohort in sizes.index)


def test_nps_monthly(built):
    landing, connection, _, _ = built
    orders = landing_frame(landing, "orders")
    buyers = set(orders.loc[orders["status"] == "completed", "customer_id"])
    answers = landing_frame(landing, "survey_responses")
    answers = answers[answers["survey_type"] == "nps"].copy()
    answers["score"] = answers["score"].astype(int)
    answers["month"] = pd.to_datetime(answers["responded_at"]).dt.to_period("M")
    answers["is_buyer"] = answers["customer_id"].isin(buyers)
    by_month = answers.groupby(["month", "is_buyer"])["score"].agg(
        responses="size", promoters=lambda s: (s >= 9).sum(), detractors=lambda s: (s <= 6).sum()
    )
    by_month["nps"] = (100 * (by_month["promoters"] - by_month["detractors"]) / by_month["responses"]).round(2)
    actual = mart(
        connection,
        "SELECT response_month, is_buyer, nps_responses, nps FROM marts.nps_monthly WHERE nps_responses > 0",
    )
    actual["month"] = pd.to_datetime(actual["response_month"]).dt.to_period("M")
    actual = actual.set_index(["month", "is_buyer"]).sort_index()
    assert list(actual.index) == list(by_month.index)
    assert list(actual["nps_responses"]) == list(by_month["responses"])
    np.testing.assert_allclose(actual["nps"], by_month["nps"], atol=0.005)


def test_ltv_cac_spend_and_new_customers(built, orders_usd):
    landing, connection, _, _ = built
    spend = landing_frame(landing, "marketing_spend")
    spend["month"] = pd.to_datetime(spend["spend_date"]).dt.to_period("M")
    spend_by = spend.assign(spend=spend["spend"].astype(float)).groupby(["channel", "month"])["spend"].sum().round(2)
    completed = orders_usd[orders_usd["status"] == "completed"].sort_values(["ordered_at", "order_id"])
    first = completed.groupby("customer_id").first()
    first["month"] = first["ordered_at"].dt.to_period("M")
    new_by = first.groupby([first["channel"].replace("", "unknown"), "month"]).size()

    actual = mart(
        connection, "SELECT acquisition_channel, cohort_month, new_customers, marketing_spend, cac FROM marts.ltv_cac"
    )
    assert len(actual) == len(spend_by)
    for row in actual.itertuples():
        key = (row.acquisition_channel, pd.Period(row.cohort_month, "M"))
        assert float(row.marketing_spend) == pytest.approx(spend_by[key], abs=0.005)
        assert row.new_customers == new_by.get(key, 0)
        if row.new_customers:
            assert float(row.cac) == pytest.approx(spend_by[key] / row.new_customers, abs=0.006)


def test_business_summary_reads_the_marts(built):
    _, connection, _, _ = built
    labels = dict(business_summary(connection))
    assert labels["Customers (any order)"].startswith("400 (")
    assert labels["NPS, last 12 months"] != "n/a"


def _as_of(connection) -> pd.Timestamp:
    return pd.Timestamp(connection.execute("SELECT as_of_date FROM marts.lifecycle_summary").fetchall()[0][0])


def test_growth_accounting_against_the_orders(built, orders_usd):
    _, connection, _, _ = built
    completed = orders_usd[orders_usd["status"] == "completed"]
    revenue = completed.groupby(["customer_id", completed["ordered_at"].dt.to_period("M")])["amount_usd"].sum()
    by_month = {month: group.droplevel(1) for month, group in revenue.groupby(level=1)}
    months = pd.period_range(revenue.index.get_level_values(1).min(), _as_of(connection).to_period("M"), freq="M")
    expected, seen, last = [], set(), pd.Series(dtype=float)
    for month in months:
        now = by_month.get(month, pd.Series(dtype=float))
        new = set(now.index) - seen
        retained = set(now.index) & set(last.index)
        churned = set(last.index) - set(now.index)
        change = now.reindex(sorted(retained)) - last.reindex(sorted(retained))
        expected.append(
            (
                month,
                len(now),
                len(new),
                len(retained),
                len(now) - len(new) - len(retained),
                len(churned),
                round(now.sum(), 2),
                round(now.reindex(sorted(new)).sum(), 2),
                round(change[change > 0].sum(), 2),
                round(-change[change < 0].sum(), 2),
                round(last.reindex(sorted(churned)).sum(), 2),
            )
        )
        seen |= set(now.index)
        last = now
    actual = mart(
        connection,
        "SELECT flow_month, active_customers, new_customers, retained_customers, resurrected_customers, "
        "churned_customers, "
        "revenue, new_revenue, expansion_revenue, contraction_revenue, churned_revenue "
        "FROM marts.growth_accounting_monthly ORDER BY flow_month",
    )
    assert len(actual) == len(expected)
    for row, want in zip(actual.itertuples(index=False), expected, strict=True):
        assert pd.Period(row.flow_month, "M") == want[0]
        assert (
            row.active_customers,
            row.new_customers,
            row.retained_customers,
            row.resurrected_customers,
            row.churned_customers,
        ) == want[1:6]
        np.testing.assert_allclose(
            [
                float(row.revenue),
                float(row.new_revenue),
                float(row.expansion_revenue),
                float(row.contraction_revenue),
                float(row.churned_revenue),
            ],
            want[6:],
            atol=0.011,
        )


def test_cohort_repeat_purchase_against_the_orders(built, orders_usd):
    _, connection, _, _ = built
    as_of = _as_of(connection)
    completed = orders_usd[orders_usd["status"] == "completed"].sort_values(["customer_id", "ordered_at", "order_id"])
    ranked = completed.assign(number=completed.groupby("customer_id").cumcount() + 1)
    first = ranked[ranked["number"] == 1].set_index("customer_id")["ordered_at"].dt.normalize()
    second = ranked[ranked["number"] == 2].set_index("customer_id")["ordered_at"].dt.normalize()
    days = (second.reindex(first.index) - first).dt.days
    cohorts = first.dt.to_period("M")
    actual = mart(connection, "SELECT * FROM marts.cohort_repeat_purchase").set_index("cohort_month")
    for cohort, members in cohorts.groupby(cohorts):
        row = actual.loc[cohort.to_timestamp()]
        assert row["cohort_size"] == len(members)
        observed = (as_of - cohort.to_timestamp(how="end").normalize()).days
        for window in (30, 90, 180, 365):
            rate = row[f"repeat_rate_{window}d"]
            if observed >= window:
                assert rate == pytest.approx((days[members.index] <= window).mean(), abs=0.00005)
            else:
                assert pd.isna(rate)


def test_support_impact_splits_buyers_by_tickets(built, orders_usd):
    landing, connection, _, _ = built
    buyers = set(orders_usd.loc[orders_usd["status"] == "completed", "customer_id"])
    tickets = landing_frame(landing, "support_tickets")
    with_tickets = buyers & set(tickets["customer_id"])
    groups = dict(
        connection.execute(
            "SELECT support_group, customers FROM marts.support_impact WHERE dimension = 'tickets'"
        ).fetchall()
    )
    assert groups == {"with tickets": len(with_tickets), "no tickets": len(buyers - with_tickets)}
    channels = dict(
        connection.execute(
            "SELECT support_group, customers FROM marts.support_impact WHERE dimension = 'ticket channel'"
        ).fetchall()
    )
    by_buyers = tickets[tickets["customer_id"].isin(buyers)].groupby("channel")["customer_id"].nunique()
    assert channels == by_buyers.to_dict()


def test_the_benchmark_reference_computes_the_published_marts(built, tmp_path, monkeypatch):
    """`make bench` sets the pipeline against a plain DuckDB script; the ratio means something only if
    the script computes the same marts (every column it has), so it is held to them here."""
    from benchmarks.reference.run_reference import TABLES, differences, run_reference

    landing = built[0]
    monkeypatch.delenv("LIFECYCLE_AS_OF", raising=False)
    database = tmp_path / "reference_marts.duckdb"
    rows = run_reference(landing, database)["rows"]
    assert all(rows[table] > 0 for table in TABLES), rows
    assert differences(database, landing.parent / "warehouse.duckdb") == dict.fromkeys(TABLES, 0)


def _audiences_in_pandas(landing, customers: pd.DataFrame, cohorts: pd.DataFrame) -> set[tuple[str, str]]:
    """Each lifecycle audience's rule (dbt_project.yml's default thresholds), from the customers mart and the
    landing files, in pandas: (audience, customer_id)."""
    as_of = pd.Timestamp(customers["as_of_date"].iloc[0])
    buyers = customers[customers["is_buyer"]]
    members: set[tuple[str, str]] = set()

    def add(audience: str, frame: pd.DataFrame) -> None:
        members.update((audience, customer_id) for customer_id in frame["customer_id"])

    top_clv_from = np.percentile(buyers["predicted_clv_12m"].dropna().astype(float), 75)
    valuable = buyers["value_tier"].isin(["most valuable", "most growable"]) | (
        buyers["predicted_clv_12m"].astype(float) >= top_clv_from
    )
    slipping = (buyers["p_alive"] < 0.5) | (buyers["lifecycle_stage"] == "at risk")
    add("win_back", buyers[valuable & slipping])

    def days(later, earlier) -> pd.Series:
        return (pd.to_datetime(later).dt.normalize() - pd.to_datetime(earlier).dt.normalize()).dt.days

    repeat = customers[customers["second_completed_order_at"].notna()]
    every_buyers_median = days(repeat["second_completed_order_at"], repeat["first_completed_order_at"]).median()
    one_order = customers[customers["completed_orders"] == 1].merge(
        cohorts[["cohort_month", "median_days_to_second_order"]], on="cohort_month", how="left"
    )
    since_first = days(pd.Series(as_of, index=one_order.index), one_order["first_completed_order_at"])
    usual = one_order["median_days_to_second_order"].fillna(every_buyers_median)
    add("second_order_nudge", one_order[(since_first > usual) & (since_first <= 180)])

    answers = landing_frame(landing, "survey_responses")
    answers["score"] = answers["score"].astype(int)
    answers["survey_type"] = answers["survey_type"].str.strip().str.lower()
    answers["day"] = pd.to_datetime(answers["responded_at"], utc=True).dt.tz_localize(None).dt.normalize()
    tickets = landing_frame(landing, "support_tickets")
    for column in ("created_at", "first_response_at", "resolved_at"):
        tickets[column] = pd.to_datetime(tickets[column].replace("", None), utc=True).dt.tz_localize(None)
    tickets["status"] = tickets["status"].str.strip().str.lower()
    in_window = lambda day: (day > as_of - pd.Timedelta(days=30)) & (day <= as_of)  # noqa: E731
    detractors = answers[(answers["survey_type"] == "nps") & (answers["score"] <= 6) & in_window(answers["day"])]
    response_hours = (tickets["first_response_at"] - tickets["created_at"]).dt.total_seconds() / 3600
    open_at_day_end = (as_of + pd.Timedelta(days=1) - tickets["created_at"]).dt.total_seconds() / 3600
    unanswered = tickets["first_response_at"].isna() & (open_at_day_end > 4)
    late = tickets[in_window(tickets["created_at"].dt.normalize()) & ((response_hours > 4) | unanswered)]
    unhappy = set(detractors["customer_id"]) | set(late["customer_id"])
    add("service_recovery", buyers[(buyers["customer_value"] > 0) & buyers["customer_id"].isin(unhappy)])

    add(
        "advocates",
        customers[
            (customers["latest_nps_score"] >= 9)
            & (customers["completed_orders"] >= 2)
            & (customers["open_tickets"] == 0)
        ],
    )
    add("below_zero_review", buyers[buyers["value_tier"] == "below zero"])

    positive = answers[
        ((answers["survey_type"] == "nps") & (answers["score"] >= 9))
        | ((answers["survey_type"] == "csat") & (answers["score"] >= 4))
    ]
    resolved = tickets[tickets["resolved_at"].notna() & tickets["status"].isin(["solved", "closed"])]
    engaged = set(positive["customer_id"]) | set(resolved["customer_id"])
    add(
        "prospects_to_convert", customers[(customers["completed_orders"] == 0) & customers["customer_id"].isin(engaged)]
    )
    return members


def test_audiences_against_pandas(built):
    landing, connection, _, _ = built
    customers = mart(connection, "SELECT * FROM marts.customers")
    cohorts = mart(connection, "SELECT * FROM marts.cohort_repeat_purchase")
    expected = _audiences_in_pandas(landing, customers, cohorts)
    members = mart(connection, "SELECT * FROM marts.audience_members")
    assert set(zip(members["audience"], members["customer_id"], strict=True)) == expected
    # most audiences have members in this small sample, so the rules are exercised (service recovery and
    # prospects to convert are the rarest)
    assert len({audience for audience, _ in expected}) >= 4 and {audience for audience, _ in expected} <= set(
        mart(connection, "SELECT audience FROM marts.audiences")["audience"]
    )
    # priority ranks the value at stake within each audience, 1 the largest
    for _, group in members.groupby("audience"):
        ranked = group.sort_values("priority")
        assert list(ranked["priority"]) == list(range(1, len(group) + 1))
        assert ranked["value_at_stake"].is_monotonic_decreasing
    # the first build: everyone entered, as of the build's date, and the summary adds up
    changes = mart(connection, "SELECT * FROM marts.audience_changes")
    assert set(zip(changes["audience"], changes["customer_id"], strict=True)) == expected
    assert set(changes["change"]) == {"entered"} and (members["member_since"] == members["as_of_date"]).all()
    summary = mart(connection, "SELECT * FROM marts.audiences").set_index("audience")
    sizes = members.groupby("audience").agg(members=("customer_id", "size"), value=("value_at_stake", "sum"))
    assert summary["members"].to_dict() == sizes["members"].to_dict() == summary["entered"].to_dict()
    assert {k: float(v) for k, v in summary["value_at_stake"].items()} == {
        k: float(v) for k, v in sizes["value"].items()
    }
