"""`check`: a landing folder judged as the next run would judge it, nothing written; 1 when a file would be blocked
or a run would have nothing to build."""

import sys
from collections.abc import Sequence
from pathlib import Path

from orchestration.lib import settings
from orchestration.lib.ingest.discover import Stray
from orchestration.lib.ingest.gates import configured_thresholds
from orchestration.lib.ingest.landing_check import (
    LandingNotFoundError,
    LandingVerdict,
    UnreadableWarehouseError,
    check_landing,
)
from orchestration.lib.ingest.load import FileOutcome, IngestReport
from orchestration.lib.storage import OBJECT_STORE_SCHEME, Root, StorageError, is_object_store
from orchestration.lib.warehouse.connection import WarehouseLockedError

EXAMPLES_SHOWN = 3
ACTION_WIDTH = len("unchanged")


def _rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


def _files(count: int) -> str:
    return f"{count:,} file{'' if count == 1 else 's'}"


def _line(action: str, text: str) -> str:
    return f"  {action:<{ACTION_WIDTH}}  {text}"


def _detail(text: str) -> str:
    return f"  {'':<{ACTION_WIDTH}}    {text}"


def _accepted(outcome: FileOutcome) -> list[str]:
    said = f"{outcome.path}: {_rows(outcome.rows)}"
    if outcome.rows_quarantined:
        rules = ", ".join(f"{count:,} x {rule}" for rule, count in outcome.quarantined_by_rule)
        said += f", {outcome.rows_quarantined:,} quarantined ({rules})"
    said += ", replacing its loaded version" if outcome.action == "reloaded" else ", new"
    lines = [_line("accepted", said)]
    lines += [_detail(example) for example in outcome.examples[:EXAMPLES_SHOWN]]
    if outcome.extra_columns:
        lines.append(_detail(f"extra column(s) ignored: {', '.join(outcome.extra_columns)}"))
    return lines


def file_lines(outcome: FileOutcome) -> list[str]:
    """One line for the file, and below it the examples of its quarantined rows and the columns it adds."""
    if outcome.action in ("loaded", "reloaded"):
        return _accepted(outcome)
    if outcome.action == "blocked":
        return [_line("BLOCKED", outcome.problem)]  # the message the run records
    if outcome.action == "duplicate":
        return [_line("duplicate", f"{outcome.path}: the same content as a file already loaded, not read again")]
    if outcome.action == "skipped":
        return [_line("skipped", f"{outcome.path}: skipped on purpose (ingest.skipped_files), not read")]
    return [_line(outcome.action, outcome.path)]


def source_lines(report: IngestReport) -> list[str]:
    """The source's files by path; those already loaded as they are, on one line."""
    if not report.files:
        return []
    lines = [f"{report.source.folder}/"]
    unchanged = report.count("unchanged")
    for outcome in sorted(report.files, key=lambda outcome: outcome.path):
        if outcome.action != "unchanged":
            lines += file_lines(outcome)
    if unchanged:
        lines.append(_line("unchanged", f"{_files(unchanged)} loaded before as they are now, not read again"))
    return lines


def stray_lines(found: Sequence[Stray]) -> list[str]:
    return [f"ignored: {stray.path}: {stray.reason}" for stray in found]


def total_line(verdict: LandingVerdict) -> str:
    reports = verdict.reports
    blocked = len(verdict.blocked)
    accepted = sum(report.count("loaded", "reloaded") for report in reports)
    parts = [
        f"{_files(accepted)} accepted ({_rows(sum(r.rows_loaded for r in reports))}, "
        f"{sum(r.rows_quarantined for r in reports):,} quarantined)"
    ]
    parts += [
        f"{count:,} {action}"
        for action in ("unchanged", "duplicate", "skipped")
        if (count := sum(r.count(action) for r in reports))
    ]
    if blocked:
        verdict_said = f"{_files(blocked)} would be blocked: a run would fail"
    elif verdict.nothing_to_build:
        verdict_said = "Nothing to build: no source would hold a row, and a run would stop after its ingest"
    else:
        verdict_said = "Nothing would be blocked"
    return f"{verdict_said}. {'; '.join(parts)}."


def verdict_lines(verdict: LandingVerdict) -> list[str]:
    against = (
        f"against the ledger of {verdict.warehouse}"
        if verdict.warehouse
        else f"as a first run (no warehouse at {settings.warehouse_path()})"
    )
    lines = [f"Checked {verdict.landing} {against}; nothing was written."]
    for report in verdict.reports:
        lines += source_lines(report)
    if not any(report.files for report in verdict.reports):
        lines.append(f"No landing files in the source folders ({', '.join(r.source.folder for r in verdict.reports)}).")
    lines += stray_lines(verdict.strays)
    lines.append(total_line(verdict))
    return lines


def _root(location: str | None) -> Root:
    """The folder named on the command line (relative to the working directory), else the configured one."""
    if not location:
        return settings.landing_root()
    if is_object_store(location):
        if not location.removeprefix(OBJECT_STORE_SCHEME).split("/")[0]:
            raise ValueError(f"an object storage landing folder names a bucket (s3://bucket/prefix), got {location!r}")
        return Root(location)
    return Root(str(Path(location).expanduser().resolve()))


def check(location: str | None) -> int:
    """Print the verdict on every landing file; 0 when none would be blocked, 1 when one would or no source
    would hold a row, 2 when the folder or the warehouse cannot be read."""
    try:
        landing, thresholds = _root(location), configured_thresholds()
    except ValueError as error:  # a folder or setting written wrong
        print(f"Not checked: {error}", file=sys.stderr)
        return 2
    try:
        verdict = check_landing(landing, settings.warehouse_path(), thresholds)
    except (LandingNotFoundError, StorageError, WarehouseLockedError, UnreadableWarehouseError) as error:
        print(f"Not checked: {error}", file=sys.stderr)
        return 2
    print("\n".join(verdict_lines(verdict)))
    return 1 if verdict.blocked or verdict.nothing_to_build else 0
