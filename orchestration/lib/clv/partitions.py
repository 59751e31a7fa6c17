"""Predicting CLV one partition of customers at a time, for a cluster's executors (`mapInPandas`).

Each executor gets the fitted models (a few parameters) and its share of the purchase histories, and
returns the same per-customer columns the one-machine path computes: the predictions are elementwise in a
customer's history, so where a customer is scored does not change the result.
"""

from collections.abc import Callable, Iterator

import pandas as pd

from orchestration.lib import clv
from orchestration.lib.clv.pipeline import PREDICTION_COLUMNS, summary_in_weeks


def partition_predictor(
    purchase_fit: clv.FitResult, spend_fit: clv.FitResult, *, monthly_discount_rate: float, purchase_model: str
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """A `mapInPandas` function: histories (`customer_id` and the warehouse's history columns) in, one row
    of `clv_predictions` per customer out."""

    def predict_partition(histories: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in histories:
            if batch.empty:
                continue
            predicted = clv.predict(
                summary_in_weeks(batch),
                purchase_fit=purchase_fit,
                spend_fit=spend_fit,
                monthly_discount_rate=monthly_discount_rate,
            )
            scored = predicted[list(PREDICTION_COLUMNS)].reset_index()
            scored["purchase_model"] = purchase_model
            yield scored

    return predict_partition
