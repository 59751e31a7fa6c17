"""Predictive CLV: fit BG/NBD, MBG/NBD and Gamma-Gamma on the RFM summary, publish predictions and fits."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pandas as pd
from dagster_dbt import get_asset_key_for_model
from pydantic import Field

from orchestration.defs.clv import cluster
from orchestration.defs.resources import WAREHOUSE_POOL, WarehouseResource, remote_errors_as_failures
from orchestration.defs.transform.assets import dbt_models_before_clv
from orchestration.lib import clv, settings
from orchestration.lib.clv.pipeline import (
    OUTPUT_TABLES,
    PREDICTION_COLUMNS,
    WAREHOUSE_HISTORY_COLUMNS,
    fit_and_predict,
    fits_table,
    predicted_clv_summary,
    summary_in_weeks,
    typed_select_list,
)
from orchestration.lib.warehouse import relations

# A typed, empty tracking table: what the CLV step writes when no holdout could be evaluated.
_NO_TRACKING = pd.DataFrame({name: [] for name in OUTPUT_TABLES["clv_holdout_tracking"]})

HISTORIES_KEY = get_asset_key_for_model([dbt_models_before_clv], "int_customer_purchase_histories")
ORDERS_KEY = get_asset_key_for_model([dbt_models_before_clv], "int_orders_converted")


class ClvConfig(dg.Config):
    purchase_model: str = Field(
        default=clv.DEFAULT_PURCHASE_MODEL, description="Purchase model behind the predictions: mbg_nbd or bg_nbd."
    )
    monthly_discount_rate: float = Field(default=0.01, description="Discount rate per month for the 12-month CLV.")
    holdout_weeks: int = Field(default=13, description="Length of the holdout window that checks the chosen model.")
    holdout_sample_customers: int = Field(default=50_000, description="Customers in the (fixed) holdout sample.")


def _holdout_transactions(connection, config: ClvConfig, as_of) -> pd.DataFrame:
    """The completed orders up to `as_of` of a fixed sample of customers."""
    if settings.spark_server():
        return cluster.holdout_transactions(config.holdout_sample_customers, as_of)
    return connection.execute(
        f"""
        WITH sample AS (  -- the same customers whatever the engine and the order its files are read in
            SELECT customer_id FROM {relations.relation("intermediate", "int_customer_purchase_histories")}
            ORDER BY hash(customer_id), customer_id LIMIT {int(config.holdout_sample_customers)}
        )
        SELECT orders.customer_id, orders.order_date AS ordered_at
        FROM {relations.relation("intermediate", "int_orders_converted")} AS orders
        JOIN sample USING (customer_id)
        WHERE orders.is_completed AND orders.has_fx_rate AND orders.order_date <= ?
        """,
        [as_of],
    ).df()


def _holdout(connection, config: ClvConfig, as_of) -> tuple[dict, pd.DataFrame | None]:
    """Fit the chosen model before a cut-off and compare its holdout predictions with what happened."""
    calibration_end = as_of - timedelta(weeks=config.holdout_weeks)
    transactions = _holdout_transactions(connection, config, as_of)
    try:
        report = clv.evaluate_holdout(
            transactions,
            calibration_end=pd.Timestamp(calibration_end),
            observation_end=pd.Timestamp(as_of),
            model=config.purchase_model,
        )
    except clv.ClvError as error:
        return {"holdout": f"not evaluated: {error}"}, None
    metadata = {
        "holdout_window": f"{calibration_end} .. {as_of}",
        "holdout_customers": len(report.customers),
        "holdout_mae": round(report.mae, 4),
        "holdout_rmse": round(report.rmse, 4),
        "holdout_total_actual": report.total_actual,
        "holdout_total_predicted": round(report.total_predicted, 1),
    }
    return metadata, report.tracking


def _distinct_histories(connection) -> tuple[pd.DataFrame, date | None]:
    """The purchase histories' distinct rows with their number of customers, in a fixed order, and the as-of date."""
    if settings.spark_server():
        return cluster.distinct_histories(), cluster.as_of_date()
    histories = connection.execute(
        f"SELECT {', '.join(WAREHOUSE_HISTORY_COLUMNS)}, count(*) AS {clv.CUSTOMERS_COLUMN} "
        f"FROM {relations.relation('intermediate', 'int_customer_purchase_histories')} GROUP BY ALL ORDER BY ALL"
    ).df()
    as_of = connection.execute(
        f"SELECT as_of_date FROM {relations.relation('intermediate', 'int_as_of_dates')}"
    ).fetchall()[0][0]
    return histories, as_of


def _write_outputs(connection, by_history: pd.DataFrame, config: ClvConfig, fits, tracking) -> None:
    """The CLV tables where the engine reads them: in the warehouse (DuckDB), or in the lake (Spark)."""
    histories_relation = relations.relation("intermediate", "int_customer_purchase_histories")
    connection.register("predictions_by_history", by_history)
    connection.register("fits_frame", fits)
    predicted = {name: f"predicted.{name}" for name in PREDICTION_COLUMNS}
    predicted["purchase_model"] = f"'{config.purchase_model}'"
    outputs = {
        # Back to one row per customer, in SQL: the join is on the history's exact values.
        "clv_predictions": f"""
            SELECT {typed_select_list("clv_predictions", predicted)}
            FROM {histories_relation} AS histories
            JOIN predictions_by_history AS predicted USING ({", ".join(WAREHOUSE_HISTORY_COLUMNS)})
        """,
        "clv_model_fits": f"SELECT {typed_select_list('clv_model_fits')} FROM fits_frame",
        # Empty (typed) when no holdout could be evaluated, so the mart always exists.
        "clv_holdout_tracking": f"SELECT {typed_select_list('clv_holdout_tracking')} FROM tracking_frame"
        + ("" if tracking is not None else " WHERE false"),
    }
    connection.register("tracking_frame", tracking if tracking is not None else _NO_TRACKING)
    for table, query in outputs.items():
        relations.write_clv_output(connection, table, query)


def _write_on_cluster(outcome, config: ClvConfig, fits, tracking) -> None:
    """The CLV tables on the cluster: every customer scored by the executors, the small tables from here."""
    fitted = {fit.model: fit for fit in outcome.fits if fit.converged}
    usable = outcome.predictions["predicted_clv_12m"].notna().any()
    cluster.write_predictions(
        fitted if usable else None,
        purchase_model=config.purchase_model,
        monthly_discount_rate=config.monthly_discount_rate,
    )
    cluster.write_frame(fits, "clv_model_fits")
    cluster.write_frame(tracking if tracking is not None else _NO_TRACKING, "clv_holdout_tracking")


@dg.multi_asset(
    name="fit_clv_models",
    specs=[
        dg.AssetSpec(
            ["clv", "clv_predictions"],
            deps=[HISTORIES_KEY, ORDERS_KEY],
            group_name="clv",
            kinds={"python", "duckdb"},
            description=(
                "Per customer: expected purchases and discounted margin over 12 months, P(alive), expected spend."
            ),
        ),
        dg.AssetSpec(
            ["clv", "clv_model_fits"],
            deps=[HISTORIES_KEY],
            group_name="clv",
            kinds={"python", "duckdb"},
            description="Parameters of every fitted model (BG/NBD, MBG/NBD, Gamma-Gamma), one row per parameter.",
        ),
        dg.AssetSpec(
            ["clv", "clv_holdout_tracking"],
            deps=[HISTORIES_KEY, ORDERS_KEY],
            group_name="clv",
            kinds={"python", "duckdb"},
            description=(
                "The chosen purchase model fitted before the holdout window: weekly cumulative repeat purchases of "
                "its calibration cohort, actual against predicted, through calibration and holdout."
            ),
        ),
    ],
    pool=WAREHOUSE_POOL,
)
def fit_clv_models(context: dg.AssetExecutionContext, config: ClvConfig, duckdb: WarehouseResource):
    with remote_errors_as_failures(), duckdb.get_connection() as connection:
        # Customers who share a history share every prediction: fit and predict once per distinct
        # history (far fewer than customers), weighted by how many customers have it.
        histories, as_of = _distinct_histories(connection)
        outcome = fit_and_predict(
            summary_in_weeks(histories), config.purchase_model, monthly_discount_rate=config.monthly_discount_rate
        )
        for problem in outcome.problems:
            context.log.warning(f"CLV: {problem}")
        holdout_metadata, tracking = _holdout(connection, config, as_of) if as_of else ({"holdout": "no data"}, None)
        fits = fits_table(outcome.fits, as_of=as_of, fitted_at=datetime.now(UTC).replace(tzinfo=None))
        if settings.spark_server():
            _write_on_cluster(outcome, config, fits, tracking)
        else:
            by_history = histories[list(WAREHOUSE_HISTORY_COLUMNS)].join(outcome.predictions)
            _write_outputs(connection, by_history, config, fits, tracking)
        context.log.info(f"CLV outputs written for the {settings.engine()} engine: {', '.join(OUTPUT_TABLES)}")

    customers = histories[clv.CUSTOMERS_COLUMN].to_numpy()
    parameters = {f"{fit.model}.{name}": round(value, 4) for fit in outcome.fits for name, value in fit.params.items()}
    yield dg.MaterializeResult(
        asset_key=["clv", "clv_predictions"],
        metadata={
            "dagster/row_count": int(customers.sum()),
            "distinct_histories": len(histories),
            "purchase_model": config.purchase_model,
            **predicted_clv_summary(outcome.predictions, customers),
            "fallback": "; ".join(outcome.problems) or "none",
            **holdout_metadata,
        },
    )
    yield dg.MaterializeResult(
        asset_key=["clv", "clv_model_fits"],
        metadata={"dagster/row_count": len(fits), "as_of_date": str(as_of), **parameters},
    )
    yield dg.MaterializeResult(
        asset_key=["clv", "clv_holdout_tracking"],
        metadata={"dagster/row_count": len(tracking) if tracking is not None else 0},
    )
