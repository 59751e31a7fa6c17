"""The Dagster UI in a real browser, as a data engineer uses it: `dagster dev` on 127.0.0.1 with the project's
instance settings, every asset and group listed, lifecycle_job launched by a click and succeeding, its checks
passed on a mart's page, the schedule running; then the server stopped by its process group, and gone."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orchestration.lib.settings import PROJECT_ROOT
from tools.sample_data import generate

pytestmark = pytest.mark.browser

RUN_TIMEOUT_SECONDS = 300
DAGSTER = Path(sys.executable).parent / "dagster"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def stop(server: subprocess.Popen) -> None:
    """SIGTERM to `dagster dev`'s whole process group (webserver, daemon, code servers, run workers), then
    SIGKILL to whatever is left after a grace period."""
    if group_alive(server.pid):
        os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while group_alive(server.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    if group_alive(server.pid):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=30)


def graphql(base: str, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


RUNS = """
query Runs { runsOrError(filter: {pipelineName: "lifecycle_job"}) {
  ... on Runs { results { runId status } } } }
"""


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory):
    """`dagster dev` on a free port of 127.0.0.1, with a temporary instance (the project's dagster.yaml:
    no first-visit newsletter, one run at a time) and a landing folder of its own."""
    root = tmp_path_factory.mktemp("dagster_ui")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    generate(root / "landing", customers=200, seed=9)
    port = free_port()
    environment = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "LIFECYCLE_LANDING_DIR": str(root / "landing"),
        "LIFECYCLE_WAREHOUSE": str(root / "warehouse" / "warehouse.duckdb"),
        "LIFECYCLE_SERVING": str(root / "serving" / "lifecycle.duckdb"),
        "LIFECYCLE_LAKE_DIR": str(root / "lake"),
        # The landing sensor would start a run of its own on the new landing folder: not during this test.
        "LIFECYCLE_LANDING_SETTLE_SECONDS": "86400",
        "DBT_PROJECT_DIR": str(PROJECT_ROOT / "dbt_project"),
        "DBT_PROFILES_DIR": str(PROJECT_ROOT / "dbt_project"),
        "PATH": f"{DAGSTER.parent}{os.pathsep}{os.environ['PATH']}",
    }
    log = (root / "dagster_dev.log").open("w")
    server = subprocess.Popen(
        [str(DAGSTER), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so the test can stop all of it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/server_info", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log_tail = (root / "dagster_dev.log").read_text()[-3000:]
                    raise AssertionError(f"dagster dev did not start: {log_tail}") from None
                time.sleep(1)
        yield base, root
    finally:
        stop(server)
        log.close()
        assert not group_alive(server.pid), "a process of dagster dev outlived the test"


@pytest.fixture(scope="module")
def ui(browser, dagster_dev):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
    yield page, dagster_dev[0]
    page.close()


def test_every_asset_and_group_is_listed(ui, screenshots):
    from orchestration.definitions import defs

    page, base = ui
    specs = defs.resolve_all_asset_specs()
    page.set_viewport_size({"width": 1400, "height": 60 * len(specs) + 800})  # the catalog renders what fits
    page.goto(f"{base}/assets")
    page.get_by_text("Materialize selected").wait_for()
    page.wait_for_function(f"document.body.innerText.split(' / ').length > {len(specs)}")
    listed = page.locator("body").inner_text()
    for spec in specs:
        assert f"{' / '.join(spec.key.path)}\n" in listed, spec.key
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{base}/asset-groups")
    for group in {spec.group_name for spec in specs}:
        page.get_by_text(group, exact=True).first.wait_for()
    assert page.get_by_role("dialog").count() == 0  # no first-visit newsletter in the way
    page.screenshot(path=str(screenshots / "dagster-asset-graph.png"))


def test_the_schedule_is_running(ui, screenshots):
    page, base = ui
    page.goto(f"{base}/automation")
    page.get_by_text("lifecycle_daily_schedule", exact=True).wait_for()
    # The schedule's row: the nearest element around its name holding both the row's selection box and
    # its on/off switch (the last one), which the page fills in once it has the schedule's state.
    page.wait_for_function(
        """() => {
            const name = [...document.querySelectorAll('*')].find(
                element => element.childElementCount === 0 && element.textContent === 'lifecycle_daily_schedule');
            let row = name;
            while (row && row.querySelectorAll('input[type=checkbox]').length < 2) row = row.parentElement;
            const boxes = row ? row.querySelectorAll('input[type=checkbox]') : [];
            return boxes.length > 0 && boxes[boxes.length - 1].checked;
        }"""
    )
    page.screenshot(path=str(screenshots / "dagster-automation.png"))


def test_lifecycle_job_launched_by_a_click_succeeds_and_its_checks_pass(ui, screenshots):
    page, base = ui
    before = {run["runId"] for run in graphql(base, RUNS)["runsOrError"]["results"]}
    page.goto(f"{base}/locations/lifecycle/jobs/lifecycle_job")
    page.get_by_role("button", name="Materialize all").click()

    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while True:
        runs = [run for run in graphql(base, RUNS)["runsOrError"]["results"] if run["runId"] not in before]
        if runs and runs[0]["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        assert time.monotonic() < deadline, f"the run did not finish in {RUN_TIMEOUT_SECONDS} s: {runs}"
        time.sleep(2)
    (run,) = runs
    assert run["status"] == "SUCCESS"

    page.goto(f"{base}/runs/{run['runId']}")
    page.get_by_text("Success", exact=True).first.wait_for()
    page.screenshot(path=str(screenshots / "dagster-run.png"))

    page.goto(f"{base}/assets/marts/customers?view=checks")
    page.get_by_text("unique_customers_customer_id").first.wait_for()
    checks = page.locator("body").inner_text()
    declared = int(re.search(r"Checks \((\d+)\)", checks).group(1))
    assert declared > 0 and checks.count("\nSucceeded") == declared, checks
    page.screenshot(path=str(screenshots / "dagster-customers-checks.png"))
