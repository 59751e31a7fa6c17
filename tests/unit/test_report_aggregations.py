"""The report's display aggregations against hand-computed values: the retention triangle's weighted row,
the CLV histogram's bins, the P(alive) matrix's cells and the value tiers' shares. Each runs on a
small hand-made `marts.customers` (or triangle) in an in-memory DuckDB."""

import duckdb
import pandas as pd
import pytest

from orchestration.lib.report.sections.cohorts import weighted_retention
from orchestration.lib.report.sections.value import bin_centres, clv_histogram, p_alive_cells, tier_shares


def marts_with_customers(rows: list[dict]) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA marts")
    connection.register("hand_made", pd.DataFrame(rows))
    connection.execute("CREATE TABLE marts.customers AS SELECT * FROM hand_made")
    return connection


def test_the_triangles_bottom_row_weighs_each_cohort_by_its_size():
    # Cohort A (10 customers) keeps 4 in month 1 and 2 in month 2; cohort B (30) keeps 6 in month 1 and has
    # not reached month 2. Month 1: (4 + 6) / (10 + 30) = 0.25, not the mean of 0.4 and 0.2; month 2: A alone.
    cells = pd.DataFrame(
        {
            "cohort_month": ["A", "A", "A", "B", "B"],
            "months_since_first_order": [0, 1, 2, 0, 1],
            "cohort_size": [10, 10, 10, 30, 30],
            "active_customers": [10, 4, 2, 30, 6],
        }
    )
    assert weighted_retention(cells).to_dict() == {0: 1.0, 1: 0.25, 2: 0.2}


def test_value_tiers_share_the_buyers_and_their_value_best_tier_first():
    # Four buyers worth 300 + 50 + 50 − 100 = 300 in all; the prospect is no buyer and is left out.
    connection = marts_with_customers(
        [
            {"is_buyer": True, "value_tier": "maintain", "customer_value": 50.0},
            {"is_buyer": True, "value_tier": "below zero", "customer_value": -100.0},
            {"is_buyer": True, "value_tier": "most valuable", "customer_value": 300.0},
            {"is_buyer": True, "value_tier": "maintain", "customer_value": 50.0},
            {"is_buyer": False, "value_tier": None, "customer_value": -5.0},
        ]
    )
    tiers = tier_shares(connection)
    assert tiers["value_tier"].tolist() == ["most valuable", "maintain", "below zero"]
    assert tiers["customers"].tolist() == [1, 2, 1]
    assert tiers["customer_value"].tolist() == [300.0, 100.0, -100.0]
    assert tiers["share_of_customers"].tolist() == [0.25, 0.5, 0.25]
    assert tiers["share_of_value"].tolist() == pytest.approx([1.0, 1 / 3, -1 / 3])


def test_the_clv_histogram_bins_between_the_1st_and_99th_percentiles():
    # Buyers worth 0, 1, …, 100: the percentiles are 1 and 99, so 4 bins are 24.5 wide from 1. Bin of x:
    # floor((x − 1) / 98 × 4), the ends gathered: 0..25 → 0 (26 buyers, 0 below the edge), 26..49 → 1 (24),
    # 50..74 → 2 (25), 75..100 → 3 (26, 100 above the edge). The prospect and the unknown value are left out.
    rows = [{"is_buyer": True, "historical_clv_margin": float(x)} for x in range(101)]
    rows += [{"is_buyer": False, "historical_clv_margin": 1000.0}, {"is_buyer": True, "historical_clv_margin": None}]
    histogram = clv_histogram(marts_with_customers(rows), "historical_clv_margin", bins=4)
    assert histogram["bin"].tolist() == [0, 1, 2, 3]
    assert histogram["customers"].tolist() == [26, 24, 25, 26]
    assert (histogram["low"].iloc[0], histogram["high"].iloc[0]) == pytest.approx((1.0, 99.0))
    centres, width = bin_centres(histogram, bins=4)
    assert centres == pytest.approx([13.25, 37.75, 62.25, 86.75]) and width == pytest.approx(24.5)


def test_a_histogram_of_one_value_is_one_bar_of_width_one():
    rows = [{"is_buyer": True, "historical_clv_margin": 5.0}] * 3
    histogram = clv_histogram(marts_with_customers(rows), "historical_clv_margin", bins=4)
    assert histogram["customers"].tolist() == [3]
    assert bin_centres(histogram, bins=4) == ([5.5], 1.0)


def test_p_alive_cells_average_buyers_by_capped_frequency_and_recency():
    # Frequency = orders − 1, at most 20; recency = floor((tenure − days since the last order) / 30.4375)
    # months, at most 36: 0 days → 0; 300 days → 9 (two buyers, P(alive) 0.8 and 0.6 → 0.7); 1,990 days → 65 → 36.
    # A buyer without P(alive) and a prospect are left out.
    buyer = {"is_buyer": True}
    connection = marts_with_customers(
        [
            {**buyer, "completed_orders": 1, "tenure_days": 100, "days_since_last_order": 100, "p_alive": 1.0},
            {**buyer, "completed_orders": 3, "tenure_days": 400, "days_since_last_order": 100, "p_alive": 0.8},
            {**buyer, "completed_orders": 3, "tenure_days": 370, "days_since_last_order": 70, "p_alive": 0.6},
            {**buyer, "completed_orders": 30, "tenure_days": 2000, "days_since_last_order": 10, "p_alive": 0.9},
            {**buyer, "completed_orders": 2, "tenure_days": 50, "days_since_last_order": 5, "p_alive": None},
            {"is_buyer": False, "completed_orders": 0, "tenure_days": 0, "days_since_last_order": 0, "p_alive": 0.5},
        ]
    )
    cells = p_alive_cells(connection)
    assert cells[["frequency", "recency", "customers"]].values.tolist() == [[0, 0, 1], [2, 9, 2], [20, 36, 1]]
    assert cells["p_alive"].tolist() == pytest.approx([1.0, 0.7, 0.9])
