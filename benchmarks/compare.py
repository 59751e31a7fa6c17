"""Two `make bench` results side by side: what a change added to the full build and the daily run.

    python -m benchmarks.compare BEFORE.json AFTER.json [--tier L]

A run's wall time moves with the machine's speed at the moment (on a shared machine, by a quarter
from one run to the next, in every model alike), so besides the plain ratio of wall times this
compares what does not depend on it: the dbt models whose file is the same in both runs (same
checksum) set the speed factor, how much slower or faster they ran in the after-run; the after-run's
dbt work is then set against the before-run's scaled by that factor. What the change added:

    factor = sum(after, same models) / sum(before, same models)
    added  = sum(after, every dbt node) - factor * sum(before, every dbt node)
    share  = added / (factor * before's wall time)

A macro's change is not in a model's checksum: a model that calls a changed macro counts as the
same. Only dbt's own work is compared this way; what a change adds outside dbt (ingest, Dagster's
events per node) shows only in the plain ratio. Both results must come from a `benchmarks.pipeline`
that records the dbt nodes (to measure an older version, run this version's `benchmarks/` from a
checkout of it); the full builds compared are those from CSV files.
"""

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

RUNS = ("full", "daily")


@dataclass(frozen=True)
class Comparison:
    run: str
    before_seconds: float
    after_seconds: float
    speed_factor: float
    same_models: int
    added_dbt_seconds: float

    @property
    def plain_change(self) -> float:
        return self.after_seconds / self.before_seconds - 1

    @property
    def added_share(self) -> float:
        return self.added_dbt_seconds / (self.speed_factor * self.before_seconds)


def compare_run(run: str, before: dict, after: dict) -> Comparison:
    """`before` and `after`: one tier's run (`full` or `daily`) as `benchmarks.pipeline` writes it."""
    before_nodes, after_nodes = before["dbt_nodes"], after["dbt_nodes"]
    if not before_nodes or not after_nodes:
        raise ValueError(f"the {run} run records no dbt nodes: measure it with a benchmarks.pipeline that does")
    same = [
        unique_id
        for unique_id, node in after_nodes.items()
        if unique_id.startswith("model.")
        and unique_id in before_nodes
        and node["checksum"] is not None
        and node["checksum"] == before_nodes[unique_id]["checksum"]
    ]
    same_before = sum(before_nodes[unique_id]["seconds"] for unique_id in same)
    if not same_before:
        raise ValueError(f"the {run} runs share no unchanged dbt model to set the machine's speed by")
    factor = sum(after_nodes[unique_id]["seconds"] for unique_id in same) / same_before
    added = sum(node["seconds"] for node in after_nodes.values()) - factor * sum(
        node["seconds"] for node in before_nodes.values()
    )
    return Comparison(run, before["seconds"], after["seconds"], factor, len(same), added)


def node_changes(before: dict, after: dict, factor: float, top: int = 12) -> list[tuple[str, float, float]]:
    """The dbt nodes whose time moved most, after the speed factor: (node, before scaled, after)."""
    names = set(before["dbt_nodes"]) | set(after["dbt_nodes"])
    rows = [
        (
            name,
            factor * before["dbt_nodes"].get(name, {}).get("seconds", 0.0),
            after["dbt_nodes"].get(name, {}).get("seconds", 0.0),
        )
        for name in names
    ]
    return sorted(rows, key=lambda row: -abs(row[2] - row[1]))[:top]


def tier_result(results: dict, tier: str, path: Path) -> dict:
    """The tier's full build (from CSV files, which every version of the bench measured) and daily run."""
    for result in results["tiers"]:
        if result["tier"] == tier:
            full = result["full"]
            return {"full": full if "seconds" in full else full["csv"], "daily": result["daily"]}
    raise ValueError(f"{path} has no tier {tier}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tier", default="L")
    args = parser.parse_args(argv)
    try:
        before = tier_result(json.loads(args.before.read_text()), args.tier, args.before)
        after = tier_result(json.loads(args.after.read_text()), args.tier, args.after)
        comparisons = [compare_run(run, before[run], after[run]) for run in RUNS]
    except (OSError, ValueError, KeyError) as error:
        print(f"benchmarks.compare: {error}", file=sys.stderr)
        return 2
    for comparison in comparisons:
        print(
            f"{args.tier} {comparison.run:<5} {comparison.before_seconds:7.1f} s -> {comparison.after_seconds:7.1f} s "
            f"({comparison.plain_change:+.1%});  speed factor {comparison.speed_factor:.2f} "
            f"({comparison.same_models} unchanged models);  dbt work added {comparison.added_dbt_seconds:+.1f} s "
            f"= {comparison.added_share:+.1%} of the run before"
        )
        for name, scaled_before, after_seconds in node_changes(
            before[comparison.run], after[comparison.run], comparison.speed_factor
        ):
            print(f"    {scaled_before:7.2f} -> {after_seconds:7.2f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
