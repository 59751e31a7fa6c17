"""Fit time of the CLV models on simulated customers, side by side with lifetimes when it is installed.

    python -m benchmarks.clv_fit --out clv_fit.json [--customers 100000 2000000] [--no-lifetimes]

Customers come from the project's generator (`tools.sample_data`, default
`BehaviourParams`, weekly), acquired evenly over the three years before the observation
end, with purchases placed on calendar days, so the summary looks like one built from an
order table. Both libraries get the same per-customer summary: ours collapses it to distinct
histories before fitting (included in its time), lifetimes fits it row by row as its users
do. The target is a BG/NBD fit on 2M customers in under 10 s.
"""

import argparse
import json
import os
import platform
import time
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.lib import clv
from tools.sample_data import BehaviourParams, simulate_purchases

OBSERVATION_END = pd.Timestamp("2025-12-31")
ACQUISITION_DAYS = 3 * 365
TARGET_SECONDS_2M = 10.0


def simulated_summary(n_customers: int, seed: int) -> tuple[pd.DataFrame, dict]:
    """The weekly RFM summary of `n_customers` simulated customers, and how long each step took."""
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    age_days = rng.integers(0, ACQUISITION_DAYS + 1, n_customers)
    purchases = simulate_purchases(n_customers, BehaviourParams(), age_days / 7, rng)
    customer = purchases["customer_index"].to_numpy()
    first_day = OBSERVATION_END - pd.to_timedelta(age_days, unit="D")
    transactions = pd.DataFrame(
        {
            "customer_id": customer,
            "ordered_at": first_day[customer] + pd.to_timedelta(purchases["t_weeks"].to_numpy() * 7, unit="D"),
            "spend": purchases["spend"].to_numpy(),
        }
    )
    simulated = time.perf_counter()
    summary = clv.rfm_summary(transactions, monetary_col="spend", observation_end=OBSERVATION_END, time_unit="week")
    summarised = time.perf_counter()
    return summary, {
        "transactions": len(transactions),
        "simulate_s": simulated - started,
        "summary_s": summarised - simulated,
        "distinct_histories": len(clv.collapse_histories(summary)[0]),
    }


def time_ours(summary: pd.DataFrame) -> tuple[dict[str, dict], float]:
    results, fits = {}, {}
    for model, fit in (("bg_nbd", clv.fit_bg_nbd), ("mbg_nbd", clv.fit_mbg_nbd), ("gamma_gamma", clv.fit_gamma_gamma)):
        started = time.perf_counter()
        fits[model] = fit(summary)
        results[model] = {
            "ours_s": time.perf_counter() - started,
            "ours_params": fits[model].params,
            "ours_converged": fits[model].converged,
            "customers_fitted": fits[model].n_customers,
        }
    started = time.perf_counter()
    clv.predict(summary, purchase_fit=fits["bg_nbd"], spend_fit=fits["gamma_gamma"])
    return results, time.perf_counter() - started


def time_lifetimes(summary: pd.DataFrame, lifetimes) -> dict[str, dict]:
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    runs = {
        "bg_nbd": (lifetimes.BetaGeoFitter, (summary["frequency"], summary["recency"], summary["T"])),
        "mbg_nbd": (lifetimes.ModifiedBetaGeoFitter, (summary["frequency"], summary["recency"], summary["T"])),
        "gamma_gamma": (lifetimes.GammaGammaFitter, (repeat["frequency"], repeat["monetary_value"])),
    }
    results = {}
    for model, (fitter, columns) in runs.items():
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = fitter().fit(*columns)
        params = {"gamma" if name == "v" else name: float(value) for name, value in fitted.params_.items()}
        results[model] = {"lifetimes_s": time.perf_counter() - started, "lifetimes_params": params}
    return results


def import_lifetimes(wanted: bool):
    """lifetimes if it is wanted and imports; otherwise None and the reason."""
    if not wanted:
        return None, "skipped (--no-lifetimes)"
    try:
        import lifetimes
    except Exception as error:  # an old wheel may fail to import on a newer pandas
        return None, f"not available: {error!r}"
    return lifetimes, f"lifetimes {lifetimes.__version__}"


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def print_table(runs: list[dict]) -> None:
    header = f"{'customers':>10} {'histories':>10} {'model':<12} {'ours s':>8} {'lifetimes s':>12} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for run in runs:
        for model, result in run["models"].items():
            theirs = result.get("lifetimes_s")
            ratio = result.get("lifetimes_over_ours")
            print(
                f"{run['customers']:>10,} {run['distinct_histories']:>10,} {model:<12} {result['ours_s']:>8.2f} "
                f"{'-' if theirs is None else f'{theirs:.2f}':>12} {'-' if ratio is None else f'{ratio:.1f}x':>7}"
            )
        print(
            f"{'':>10} {'':>10} {'(simulate':<12} {run['simulate_s']:.2f} s, rfm_summary {run['summary_s']:.2f} s, "
            f"predict {run['predict_s']:.2f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON results")
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 2_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-lifetimes", action="store_true", help="time ours only")
    args = parser.parse_args()

    lifetimes, lifetimes_status = import_lifetimes(not args.no_lifetimes)
    runs = []
    for n_customers in args.customers:
        summary, run = simulated_summary(n_customers, args.seed)
        models, run["predict_s"] = time_ours(summary)
        if lifetimes is not None:
            for model, theirs in time_lifetimes(summary, lifetimes).items():
                models[model].update(theirs, lifetimes_over_ours=theirs["lifetimes_s"] / models[model]["ours_s"])
        runs.append({"customers": n_customers, **run, "models": models})

    print(f"lifetimes: {lifetimes_status}; {os.cpu_count()} CPUs")
    print_table(runs)
    two_million = [run for run in runs if run["customers"] == 2_000_000]
    if two_million:
        seconds = two_million[0]["models"]["bg_nbd"]["ours_s"]
        verdict = "meets" if seconds < TARGET_SECONDS_2M else "misses"
        print(f"BG/NBD on 2M customers: {seconds:.2f} s, {verdict} the {TARGET_SECONDS_2M:.0f} s target")

    report = {
        "environment": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            **{name: package_version(name) for name in ("numpy", "scipy", "pandas", "lifetimes")},
            "lifetimes_status": lifetimes_status,
        },
        "target": {"customers": 2_000_000, "model": "bg_nbd", "max_seconds": TARGET_SECONDS_2M},
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=float) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
