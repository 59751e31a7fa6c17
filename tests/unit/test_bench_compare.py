"""benchmarks.compare: what a change added, set against the before-run scaled by the machine's speed;
and benchmarks.pipeline's record of each dbt node."""

import json
import os

import pytest

from benchmarks.compare import compare_run, main
from benchmarks.pipeline import dbt_node_seconds


def node(seconds: float, checksum: str | None) -> dict:
    return {"seconds": seconds, "checksum": checksum, "step": "dbt_models_before_clv"}


BEFORE = {
    "seconds": 100.0,
    "dbt_nodes": {
        "model.p.orders": node(10.0, "a"),  # the same file in both runs
        "model.p.customers": node(5.0, "b"),  # changed by the change
        "test.p.unique_orders": node(1.0, "c"),  # a test, even unchanged, does not set the speed
        "test.p.relationships": node(2.0, "d"),  # removed by the change
    },
}
AFTER = {
    "seconds": 130.0,
    "dbt_nodes": {
        "model.p.orders": node(12.0, "a"),
        "model.p.customers": node(7.0, "b2"),
        "test.p.unique_orders": node(1.5, "c"),
        "model.p.stage_history": node(6.0, "e"),  # new
    },
}


def test_the_added_dbt_work_is_set_against_the_before_run_at_the_after_runs_speed():
    # factor = 12 / 10 = 1.2 (orders, the one unchanged model); after's nodes 12 + 7 + 1.5 + 6 = 26.5;
    # before's 10 + 5 + 1 + 2 = 18, at the after-run's speed 21.6; added 4.9 s; share 4.9 / 120.
    comparison = compare_run("full", BEFORE, AFTER)
    assert comparison.speed_factor == pytest.approx(1.2)
    assert comparison.same_models == 1
    assert comparison.added_dbt_seconds == pytest.approx(4.9)
    assert comparison.added_share == pytest.approx(4.9 / 120)
    assert comparison.plain_change == pytest.approx(0.3)


def test_runs_without_a_shared_unchanged_model_or_without_nodes_are_refused():
    changed = {"seconds": 100.0, "dbt_nodes": {"model.p.orders": node(10.0, "z")}}
    with pytest.raises(ValueError, match="no unchanged dbt model"):
        compare_run("daily", BEFORE, changed)
    with pytest.raises(ValueError, match="records no dbt nodes"):
        compare_run("daily", {"seconds": 100.0, "dbt_nodes": {}}, AFTER)


def test_the_command_prints_both_runs_and_names_an_unusable_file(tmp_path, capsys):
    def results(path, run):
        path.write_text(json.dumps({"tiers": [{"tier": "L", "full": run, "daily": run}]}))
        return str(path)

    before, after = results(tmp_path / "before.json", BEFORE), results(tmp_path / "after.json", AFTER)
    assert main([before, after]) == 0
    printed = capsys.readouterr().out
    assert "L full    100.0 s ->   130.0 s (+30.0%)" in printed
    assert "dbt work added +4.9 s = +4.1% of the run before" in printed
    assert main([before, after, "--tier", "M"]) == 2
    assert "has no tier M" in capsys.readouterr().err


def test_the_bench_records_each_node_of_the_steps_that_ran(tmp_path):
    nodes = {}
    for step, unique_id, seconds in (("first", "model.p.orders", 1.25), ("second", "model.p.customers", 0.5)):
        folder = tmp_path / "dbt" / step
        folder.mkdir(parents=True)
        nodes[unique_id] = {"checksum": {"name": "sha256", "checksum": f"sum-{step}"}}
        (folder / "run_results.json").write_text(
            json.dumps({"results": [{"unique_id": unique_id, "execution_time": seconds}]})
        )
    (tmp_path / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    # the second step's artifacts are an earlier run's: left out
    os.utime(tmp_path / "dbt" / "second" / "run_results.json", (1_000, 1_000))
    assert dbt_node_seconds(tmp_path / "dbt", since=2_000, manifest=tmp_path / "manifest.json") == {
        "model.p.orders": {"seconds": 1.25, "checksum": "sum-first", "step": "first"}
    }


def test_a_bench_with_several_input_formats_is_compared_on_its_csv_full_build(tmp_path, capsys):
    formats = {"csv": AFTER, "parquet": {"seconds": 999.0, "dbt_nodes": {}}}
    (tmp_path / "after.json").write_text(json.dumps({"tiers": [{"tier": "L", "full": formats, "daily": AFTER}]}))
    (tmp_path / "before.json").write_text(json.dumps({"tiers": [{"tier": "L", "full": BEFORE, "daily": BEFORE}]}))
    assert main([str(tmp_path / "before.json"), str(tmp_path / "after.json")]) == 0
    assert "L full    100.0 s ->   130.0 s (+30.0%)" in capsys.readouterr().out
