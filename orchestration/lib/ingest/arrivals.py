"""What the landing sensor watches: the files a run would read, by size and modification time.

A delivery is ready when every file that is new or changed since the last run request has been left
alone for a while: a run ingests the whole landing folder, so one half-copied file holds back the
others until it, too, has settled.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestration.lib.ingest.contract import FORMAT_BY_EXTENSION, Source

# relative path -> [size in bytes, modification time in ns]: JSON-friendly, as the sensor's cursor keeps it
LandingState = dict[str, list[int]]


@dataclass(frozen=True)
class Arrivals:
    changed: list[str]  # new or changed since the state last seen, in path order
    settling: list[str]  # of those, the ones modified less than the settle interval ago

    @property
    def ready(self) -> bool:
        return bool(self.changed) and not self.settling


def landing_state(landing_root: Path, sources: Sequence[Source]) -> LandingState:
    """Every file of every source folder that ingest reads; hidden files (a copy in progress under a
    temporary dot-name, a `.gitkeep`) and other file types are left out, as ingest leaves them."""
    state = {}
    for source in sources:
        folder = landing_root / source.folder
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            relative = path.relative_to(landing_root)
            hidden = any(part.startswith(".") for part in relative.parts)
            if path.is_file() and not hidden and path.suffix.lower() in FORMAT_BY_EXTENSION:
                stat = path.stat()
                state[relative.as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return state


def arrivals(current: LandingState, seen: Mapping[str, Sequence[int]], now_ns: int, settle_seconds: float) -> Arrivals:
    """The files of `current` that are new or changed against `seen`, and which of them are still settling."""
    changed = sorted(path for path, fingerprint in current.items() if list(seen.get(path, ())) != fingerprint)
    settle_ns = int(settle_seconds * 1e9)
    settling = [path for path in changed if now_ns - current[path][1] < settle_ns]
    return Arrivals(changed, settling)
