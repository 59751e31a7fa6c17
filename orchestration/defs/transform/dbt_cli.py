"""dagster-dbt's CLI resource, with two private members overridden (docs/decisions/0007-dagster-dbt-overrides.md)
and a dbt call in the run's own process (docs/decisions/0014-dbt-in-the-run-process.md).

The overrides and `cli_in_process` were checked against `CHECKED_AGAINST` and a test fails when another
dagster-dbt is installed: read `DbtCliResource.cli`, `DbtCliInvocation` and both members in the new version
before moving the pin.
"""

import contextlib
from collections.abc import Iterator, Sequence
from functools import cached_property
from importlib import metadata
from pathlib import Path
from subprocess import TimeoutExpired
from typing import Any

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource
from dagster_dbt.asset_utils import extract_runtime_selection_from_args, get_updated_cli_invocation_params_for_context
from packaging import version

from orchestration.defs.transform.dbt_in_process import DbtThread
from orchestration.lib.settings import DBT_BESIDE_PYTHON

CHECKED_AGAINST = "0.29.27"


class LifecycleDbtCliResource(DbtCliResource):
    """Told the dbt version instead of asking for it, without an adapter of dagster-dbt's own, and able to run
    dbt in this process."""

    def _initialize_dbt_core_adapter(self, args):
        # dagster-dbt loads the profile, project and macros into an adapter of its own before every
        # dbt call, only for `fetch_row_counts` and `fetch_column_metadata`, which this project does
        # not call; dbt loads its own, in its process or on its thread.
        return None

    @cached_property
    def _cli_version(self) -> version.Version:
        # dagster-dbt runs `dbt --version` in a subprocess in every run to choose between dbt Core and
        # the Fusion engine; the dbt beside this interpreter is the dbt-core this environment installed.
        if self.dbt_executable == DBT_BESIDE_PYTHON:
            try:
                return version.parse(metadata.version("dbt-core"))
            except metadata.PackageNotFoundError:
                pass
        return super()._cli_version

    def cli_in_process(
        self, args: Sequence[str], *, context: dg.AssetExecutionContext | None, target_path: Path
    ) -> DbtCliInvocation:
        """`cli(args, context=context, target_path=target_path)` with dbt on a thread of this process.

        The same selection of the context's assets (none with `context=None`, for a dbt command that is
        not a step's build), the same target and log folder; dbt's own output is off (its events reach
        dagster-dbt, which writes their lines to stdout as it does a process's) and its log file keeps
        `global_config_flags`' level. Of dbt's JSON artifacts only `run_results.json` is written: the manifest,
        which dbt writes as it starts and again as it ends, is the parse's product (`make manifest` writes the
        project's, the one the definitions are built from), and the same in every step of every run.
        """
        cleaned_args, selects, excludes = extract_runtime_selection_from_args(args)
        params = get_updated_cli_invocation_params_for_context(
            context=context,
            manifest={},
            dagster_dbt_translator=DagsterDbtTranslator(),
            runtime_selects=selects,
            runtime_excludes=excludes,
        )
        project_dir = Path(params.dbt_project.project_dir if params.dbt_project else self.project_dir)
        # dbt in a process starts in the project's folder; on a thread it shares the run's, so every path it is
        # given is absolute (the project's vars are: `settings.dbt_vars_arguments`).
        target_path = target_path if target_path.is_absolute() else project_dir / target_path
        arguments = [
            *self.global_config_flags,
            "--log-level",
            "none",
            "--no-send-anonymous-usage-stats",
            "--no-write-json",
            *cleaned_args,
            *(["--profile", self.profile] if self.profile else []),
            *(["--target", self.target] if self.target else []),
            *params.selection_args,
            *(["--indirect-selection", params.indirect_selection] if params.indirect_selection else []),
        ]
        # What dagster-dbt sets in the dbt process's environment: the defaults, an argument given overrides them.
        defaults = {
            "--project-dir": str(project_dir),
            "--profiles-dir": self.profiles_dir,
            "--target-path": str(target_path),
            "--log-path": str(target_path),
        }
        for flag, value in defaults.items():
            if value and flag not in arguments:
                arguments += [flag, value]
        logger = context.log if context is not None else dg.get_dagster_logger()
        logger.info(f"Running dbt in this process: `dbt {' '.join(arguments)}`.")
        return _InProcessInvocation(
            process=DbtThread(arguments, run_results=target_path / "run_results.json"),  # type: ignore[arg-type]
            manifest=params.manifest,
            dagster_dbt_translator=params.dagster_dbt_translator,
            project_dir=project_dir,
            target_path=target_path,
            raise_on_error=True,
            context=context,
            adapter=None,
            # The dbt-core installed here, whatever `dbt_executable` names: it is the one that runs.
            cli_version=version.parse(metadata.version("dbt-core")),
            project=params.dbt_project,
        )


class _InProcessInvocation(DbtCliInvocation):
    """dagster-dbt's invocation reading dbt's events as dictionaries from a `DbtThread` instead of JSON lines."""

    def _stream_stdout(self) -> Iterator[str | dict[str, Any]]:
        if self.process.stdout.closed:
            return
        try:
            for raw_event in self.process.stdout:
                if raw_event["info"]["level"] == "error" and raw_event["info"]["msg"]:
                    self._error_messages.append(raw_event["info"]["msg"])
                yield raw_event
        except DagsterExecutionInterruptedError:
            self.process.terminate()
            with contextlib.suppress(TimeoutExpired):  # a query still in flight: the interrupt goes on
                self.process.wait(timeout=self.termination_timeout_seconds)
            raise
