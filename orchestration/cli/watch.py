"""`make run`'s run watched: a line per step on the screen as it works, everything else in the run's log."""

import sys
import traceback
import uuid
from pathlib import Path

import dagster as dg

from orchestration.cli import launch, run_events, run_log
from orchestration.cli.display import display_for
from orchestration.cli.progress import Progress
from orchestration.defs.resources import AsOfResource
from orchestration.defs.transform.assets import DBT_STEPS


def launch_watched(
    instance: dg.DagsterInstance, as_of: AsOfResource, full_refresh: bool
) -> tuple[launch.Launched | None, Path]:
    """The finished run (None when it stopped before Dagster could finish it: said here in a line, its
    traceback in the log) and its log's path."""
    run_id = str(uuid.uuid4())  # as Dagster makes them; chosen here to name the log before the run starts
    log = run_log.log_path(run_id)
    print(f"Run {run_id}: a line per step below; Dagster's and dbt's full log in {log}", flush=True)
    stopped = None
    with run_log.captured_output(log) as (terminal, log_stream):
        display = display_for(terminal)
        try:  # the display's clock runs from here: closed whatever happens
            shown = Progress(display, log, dbt_steps={step.op.name for step in DBT_STEPS})
            for planned in launch.planned_steps():
                shown.feed(planned)
            launched = launch.launch(
                instance, as_of, run_events.run_loggers(shown, log_stream), run_id=run_id, full_refresh=full_refresh
            )
        except Exception as error:  # Dagster records a step's error itself; this is one it could not
            traceback.print_exc()  # to the log, which stderr is for now
            launched, stopped = None, error
        finally:
            display.close()
    if stopped is not None:
        print(f"The run stopped: {type(stopped).__name__}: {stopped}\nFull log: {log}", file=sys.stderr)
    return launched, log
