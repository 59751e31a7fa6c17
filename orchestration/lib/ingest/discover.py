"""Finding the landing files of a source, and knowing an unchanged one without reading it again."""

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from orchestration.lib.ingest.contract import FORMAT_BY_EXTENSION, Source

# A file whose size and modification time are those it had when it was last hashed is taken to hold
# the same content, without reading it (rsync's quick check: a daily run does not read every file
# ever delivered). Only a file left alone this long before it was hashed is remembered:
# a write within the file system's timestamp granularity after the hash could keep the same time.
SETTLED_NS = 2_000_000_000


class KnownHash(NamedTuple):
    """What a landing file was when it was last hashed."""

    size_bytes: int
    modified_ns: int  # modification time, in ns since the epoch
    sha256: str


class LandingFileError(ValueError):
    """A landing file cannot be used as a whole (unreadable, empty, wrong columns)."""

    def __init__(self, file: str, rule: str, detail: str):
        super().__init__(f"{file}: {detail} (rule: {rule})")
        self.file, self.rule, self.detail = file, rule, detail


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative_path: str  # relative to the landing root: the file's identity in the ledger
    size_bytes: int
    sha256: str
    modified_ns: int | None = None  # its modification time, when that vouches for `sha256` (SETTLED_NS)

    @property
    def file_format(self) -> str:
        return FORMAT_BY_EXTENSION[self.path.suffix.lower()]

    def known_hash(self) -> KnownHash | None:
        """What to remember of the file for the next `discover`; None when its time cannot vouch for its hash."""
        return KnownHash(self.size_bytes, self.modified_ns, self.sha256) if self.modified_ns is not None else None


def discover(source: Source, landing_root: Path, known: Mapping[str, KnownHash]) -> list[LandingFile]:
    """Files of a source in delivery order (modification time, then name). A missing folder is no files.

    `known` holds what each relative path was when last hashed (`ledger.known_hashes`): a file that
    still has that size and modification time is not read again.
    """
    folder = landing_root / source.folder
    if not folder.is_dir():
        return []
    found = [(p, p.stat()) for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in FORMAT_BY_EXTENSION]
    found.sort(key=lambda item: (item[1].st_mtime_ns, str(item[0])))
    files = []
    for path, stat in found:
        relative_path = path.relative_to(landing_root).as_posix()
        recorded = known.get(relative_path)
        if recorded and (recorded.size_bytes, recorded.modified_ns) == (stat.st_size, stat.st_mtime_ns):
            files.append(LandingFile(path, relative_path, stat.st_size, recorded.sha256, recorded.modified_ns))
            continue
        hashed_at = time.time_ns()
        sha256 = file_sha256(path)
        settled = stat.st_mtime_ns < hashed_at - SETTLED_NS and _unchanged_since(path, stat)
        files.append(LandingFile(path, relative_path, stat.st_size, sha256, stat.st_mtime_ns if settled else None))
    return files


class Stray(NamedTuple):
    """Something in the landing folder that no source reads: reported, never an error."""

    path: str  # relative to the landing root
    reason: str
    source: str | None  # the source folder it sits in; None at the landing root


def strays(landing_root: Path, sources: Sequence[Source]) -> list[Stray]:
    """Folders the contract does not know, files at the landing root, and files of an unknown type
    inside a source folder. Hidden entries (a `.gitkeep`, an editor's swap file) are left out."""
    if not landing_root.is_dir():
        return []
    folders = {source.folder for source in sources}
    found = []
    for entry in sorted(landing_root.iterdir()):
        if entry.name.startswith(".") or entry.name in folders:
            continue
        if entry.is_dir():
            found.append(Stray(f"{entry.name}/", f"not a source folder (one of: {', '.join(sorted(folders))})", None))
        else:
            found.append(Stray(entry.name, "a file at the landing root: files go into a source folder", None))
    readable = ", ".join(sorted(FORMAT_BY_EXTENSION))
    for folder in sorted(folders):
        for path in sorted((landing_root / folder).rglob("*")):
            relative = path.relative_to(landing_root)
            hidden = any(part.startswith(".") for part in relative.parts)
            if path.is_file() and not hidden and path.suffix.lower() not in FORMAT_BY_EXTENSION:
                found.append(Stray(relative.as_posix(), f"not a file type the pipeline reads ({readable})", folder))
    return found


def _unchanged_since(path: Path, stat) -> bool:
    """Whether `path` still has the size and modification time of `stat` (not rewritten while it was read)."""
    now = path.stat()
    return (now.st_size, now.st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
