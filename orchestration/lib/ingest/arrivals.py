"""What the landing sensor watches: the files a run would read, by size and modification time (a local
folder's or a bucket's listing).

A delivery is ready when every file that is new or changed since the last run request has been left
alone for a while: a run ingests the whole landing folder, so one half-copied file holds back the
others until it, too, has settled.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from orchestration.lib.ingest.contract import Source
from orchestration.lib.ingest.discover import source_files
from orchestration.lib.storage import Root

# relative path -> [size in bytes, modification time in ns]: JSON-friendly, as the sensor's cursor keeps it
LandingState = dict[str, list[int]]


@dataclass(frozen=True)
class Arrivals:
    changed: list[str]  # new or changed since the state last seen, in path order
    settling: list[str]  # of those, the ones modified less than the settle interval ago

    @property
    def ready(self) -> bool:
        return bool(self.changed) and not self.settling


def landing_state(landing: Root, sources: Sequence[Source]) -> LandingState:
    """Every file of every source folder that ingest reads (`discover.source_files`), from one listing."""
    return {
        file.relative_path: [file.size_bytes, file.modified_ns]
        for source in sources
        for file in source_files(source, landing)
    }


def arrivals(current: LandingState, seen: Mapping[str, Sequence[int]], now_ns: int, settle_seconds: float) -> Arrivals:
    """The files of `current` that are new or changed against `seen`, and which of them are still settling."""
    changed = sorted(path for path, fingerprint in current.items() if list(seen.get(path, ())) != fingerprint)
    settle_ns = int(settle_seconds * 1e9)
    settling = [path for path in changed if now_ns - current[path][1] < settle_ns]
    return Arrivals(changed, settling)
