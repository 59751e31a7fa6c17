"""The Dagster UI's launch buttons clicked as a person clicks them, in headless Chromium driven by Playwright,
and the run each click started, timed from the click to the run's end: for the browser tier and `make bench`."""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tools.dagster_dev import FINISHED, RUN_TIMEOUT_SECONDS, DagsterDev

CHROMIUM = Path(os.environ.get("LIFECYCLE_CHROMIUM", "/usr/bin/chromium"))
# As root in a sandbox without a screen or a network: no sandbox, no GPU, and none of Chromium's own
# background connections, which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Every run with the assets it materializes: the freshness sensor's runs evaluate checks only.
ALL_RUNS = """
query { runsOrError { ... on Runs { results {
  runId jobName status startTime endTime assetSelection { path } } } } }
"""


@dataclass(frozen=True)
class ClickedRun:
    run_id: str
    job_name: str
    status: str
    assets: list[str]  # the keys the run selected, "marts/customers"
    seconds_from_click: float  # from the click to the run's end


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium from the distribution's packages (Playwright's own download is unreachable)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise FileNotFoundError(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _asset_runs(server: DagsterDev) -> list[dict]:
    runs = server.graphql(ALL_RUNS)["runsOrError"]["results"]
    return [run for run in runs if run["assetSelection"]]


def _wait_for_clicked_run(
    server: DagsterDev, before: set[str], clicked_at: float, timeout_seconds: float
) -> ClickedRun:
    deadline = time.monotonic() + timeout_seconds
    while True:
        new = [run for run in _asset_runs(server) if run["runId"] not in before]
        if new and new[0]["status"] in FINISHED:
            run = new[0]
            return ClickedRun(
                run_id=run["runId"],
                job_name=run["jobName"],
                status=run["status"],
                assets=sorted("/".join(key["path"]) for key in run["assetSelection"]),
                seconds_from_click=round(run["endTime"] - clicked_at, 2),
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"the clicked run did not finish in {timeout_seconds:.0f} s: {new}")
        time.sleep(0.5)


def click_materialize_all(page, server: DagsterDev, timeout_seconds: float = RUN_TIMEOUT_SECONDS) -> ClickedRun:
    """On the global asset lineage page, click *Materialize all* and wait for the run it started."""
    page.goto(f"{server.base}/asset-groups")
    button = page.get_by_role("button", name="Materialize all")
    button.wait_for()
    before = {run["runId"] for run in _asset_runs(server)}
    clicked_at = time.time()
    button.click()
    return _wait_for_clicked_run(server, before, clicked_at, timeout_seconds)


def click_materialize_selected(
    page, server: DagsterDev, keys: list[str], timeout_seconds: float = RUN_TIMEOUT_SECONDS
) -> ClickedRun:
    """In the asset catalog, tick the rows of `keys` ("marts/customers"), click *Materialize selected* and
    wait for the run it started."""
    page.set_viewport_size({"width": 1400, "height": 6000})  # the catalog renders the rows that fit
    page.goto(f"{server.base}/assets")
    for key in keys:
        box = page.get_by_test_id(f"checkbox-{key}")
        box.wait_for(state="attached")
        box.evaluate("box => box.click()")  # the box itself is hidden behind its styled twin
    button = page.get_by_role("button", name="Materialize selected")
    before = {run["runId"] for run in _asset_runs(server)}
    clicked_at = time.time()
    button.click()
    page.set_viewport_size({"width": 1400, "height": 1000})
    return _wait_for_clicked_run(server, before, clicked_at, timeout_seconds)
