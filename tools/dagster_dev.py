"""`dagster dev` as the tests and the benchmark that need a real instance start it: on a free port of
127.0.0.1, with a temporary DAGSTER_HOME holding the project's dagster.yaml, a landing folder, warehouse
and serving file of its own; stopped by its process group, and checked gone."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orchestration.lib.settings import PROJECT_ROOT

DAGSTER = Path(sys.executable).parent / "dagster"
RUN_TIMEOUT_SECONDS = 300
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")

LAUNCH = """
mutation Launch($selector: JobOrPipelineSelector!, $config: RunConfigData) {
  launchRun(executionParams: {selector: $selector, runConfigData: $config}) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""
SELECTOR = {"repositoryLocationName": "lifecycle", "repositoryName": "__repository__", "jobName": "lifecycle_job"}

RUNS = """
query Runs { runsOrError(filter: {pipelineName: "lifecycle_job"}) {
  ... on Runs { results { runId status startTime endTime tags { key value } } } } }
"""


@dataclass(frozen=True)
class DagsterDev:
    base: str  # http://127.0.0.1:<port>
    root: Path  # landing/, warehouse/, serving/, dagster_home/ and the server's log

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "warehouse.duckdb"

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.base}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read())
        if "errors" in body:
            raise RuntimeError(f"GraphQL: {body['errors']}")
        return body["data"]

    def runs(self) -> list[dict]:
        """lifecycle_job's runs, newest first, each with its tags as a dict."""
        runs = self.graphql(RUNS)["runsOrError"]["results"]
        return [{**run, "tags": {tag["key"]: tag["value"] for tag in run["tags"]}} for run in runs]

    def wait_for_runs(
        self,
        run_ids: set[str] | None = None,
        *,
        new_since: set[str] | None = None,
        count: int = 1,
        timeout_seconds: float = RUN_TIMEOUT_SECONDS,
    ):
        """Wait until the given runs (or `count` runs not in `new_since`) have finished; return them, oldest first."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            runs = self.runs()
            if run_ids is not None:
                chosen = [run for run in runs if run["runId"] in run_ids]
            else:
                chosen = [run for run in runs if run["runId"] not in (new_since or set())]
            wanted = len(run_ids) if run_ids is not None else count
            if len(chosen) >= wanted and all(run["status"] in FINISHED for run in chosen):
                return sorted(chosen, key=lambda run: run["startTime"] or 0)
            if time.monotonic() > deadline:
                raise TimeoutError(f"runs not finished in {timeout_seconds:.0f} s: {chosen}")
            time.sleep(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(server: subprocess.Popen) -> None:
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
    # Killed processes other than `dagster dev` itself are reaped by init, not by us: give it a moment.
    deadline = time.monotonic() + 15
    while group_alive(server.pid) and time.monotonic() < deadline:
        time.sleep(0.2)


@contextmanager
def dagster_dev(root: Path, **settings: str) -> Iterator[DagsterDev]:
    """`dagster dev` over `root` (its landing folder may be empty or filled already); `settings` are
    extra environment variables (e.g. LIFECYCLE_LANDING_SETTLE_SECONDS)."""
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    (root / "landing").mkdir(exist_ok=True)
    port = _free_port()
    environment = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "LIFECYCLE_LANDING_DIR": str(root / "landing"),
        "LIFECYCLE_WAREHOUSE": str(root / "warehouse" / "warehouse.duckdb"),
        "LIFECYCLE_SERVING": str(root / "serving" / "lifecycle.duckdb"),
        "LIFECYCLE_LAKE_DIR": str(root / "lake"),
        "LIFECYCLE_ALERTS_LOG": str(root / "alerts" / "alerts.jsonl"),
        "DBT_PROJECT_DIR": str(PROJECT_ROOT / "dbt_project"),
        "DBT_PROFILES_DIR": str(PROJECT_ROOT / "dbt_project"),
        "PATH": f"{DAGSTER.parent}{os.pathsep}{os.environ['PATH']}",
        **settings,
    }
    log_path = root / "dagster_dev.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(DAGSTER), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so all of it can be stopped
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
                        raise RuntimeError(f"dagster dev did not start: {log_path.read_text()[-3000:]}") from None
                    time.sleep(1)
            yield DagsterDev(base, root)
        finally:
            _stop(server)
    if group_alive(server.pid):
        left = subprocess.run(["ps", "-o", "pid,stat,args", "-g", str(server.pid)], capture_output=True, text=True)
        raise RuntimeError(f"a process of dagster dev outlived its stop:\n{left.stdout}")
