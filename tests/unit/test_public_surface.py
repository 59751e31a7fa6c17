"""The code location's public surface in one snapshot a reviewer reads: every asset (with its group and
kinds), check, job, schedule and sensor. A change to it shows in the review as a diff of the snapshot
(`pytest tests/unit/test_public_surface.py --snapshot-update` records the new one)."""

import dagster as dg

from orchestration.definitions import defs


def public_surface() -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda key: key.path):
        node = graph.get(key)
        assets[key.to_user_string()] = {"group": node.group_name, "kinds": sorted(node.kinds)}
    checks = sorted(
        f"{key.asset_key.to_user_string()} :: {key.name}{' (blocking)' if graph.get_check_spec(key).blocking else ''}"
        for key in graph.asset_check_keys
    )
    schedules = {
        schedule.name: {
            "job": schedule.job_name,
            "cron": schedule.cron_schedule,
            "timezone": schedule.execution_timezone,
            "default_status": schedule.default_status.value,
        }
        for schedule in defs.schedules or []
    }
    sensors = {
        sensor.name: {
            "default_status": sensor.default_status.value,
            "interval_seconds": sensor.minimum_interval_seconds,
        }
        for sensor in defs.sensors or []
    }
    jobs = {
        job.name: {"steps": [node.name for node in defs.resolve_job_def(job.name).nodes_in_topological_order]}
        for job in defs.jobs or []
    }
    return {
        "assets": assets,
        "checks": checks,
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
        "resources": sorted(defs.resources or {}),
    }


def test_the_public_surface_is_the_reviewed_one(snapshot):
    assert public_surface() == snapshot


def test_every_asset_opens_the_warehouse_in_its_pool():
    for assets_def in defs.assets:
        assert isinstance(assets_def, dg.AssetsDefinition)
        assert assets_def.op.pool == "warehouse", f"{assets_def.op.name} opens the warehouse, so it runs in its pool"
