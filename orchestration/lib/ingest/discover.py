"""Finding the landing files of a source, and knowing an unchanged one without reading it again.

The landing root is a local folder or a prefix in object storage (`storage.Root`): both are read as a
listing of files with their size, modification time and, for objects, ETag. An object is copied to a
local spool folder once, when it is new or changed, and read there.
"""

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from orchestration.lib.ingest.contract import FORMAT_BY_EXTENSION, Source
from orchestration.lib.storage import Root, StoredFile

# A file whose size and modification time are those it had when it was last hashed is taken to hold
# the same content, without reading it (rsync's quick check: a daily run does not read every file
# ever delivered). Only a file left alone this long before it was hashed is remembered:
# a write within the file system's timestamp granularity after the hash could keep the same time.
# An object needs no such wait: it is put whole, and its ETag changes with its content.
SETTLED_NS = 2_000_000_000


class KnownHash(NamedTuple):
    """What a landing file was when it was last hashed."""

    size_bytes: int
    modified_ns: int  # modification time, in ns since the epoch
    sha256: str
    etag: str | None = None  # an object's ETag, which vouches for the hash instead of the time

    def vouches_for(self, found: StoredFile) -> bool:
        if found.etag is not None:
            return (self.size_bytes, self.etag) == (found.size_bytes, found.etag)
        return (self.size_bytes, self.modified_ns) == (found.size_bytes, found.modified_ns)


class LandingFileError(ValueError):
    """A landing file cannot be used as a whole (unreadable, empty, wrong columns)."""

    def __init__(self, file: str, rule: str, detail: str):
        super().__init__(f"{file}: {detail} (rule: {rule})")
        self.file, self.rule, self.detail = file, rule, detail


@dataclass(frozen=True)
class LandingFile:
    path: Path  # where it is read: the file itself, or an object's local copy
    relative_path: str  # relative to the landing root: the file's identity in the ledger
    size_bytes: int
    sha256: str
    modified_ns: int | None = None  # its modification time, when that vouches for `sha256` (SETTLED_NS)
    etag: str | None = None  # an object's ETag

    @property
    def file_format(self) -> str:
        return FORMAT_BY_EXTENSION[PurePosixPath(self.relative_path).suffix.lower()]

    def known_hash(self) -> KnownHash | None:
        """What to remember of the file for the next `discover`; None when nothing vouches for its hash."""
        if self.modified_ns is None:
            return None
        return KnownHash(self.size_bytes, self.modified_ns, self.sha256, self.etag)


def _hidden(relative_path: str) -> bool:
    return any(part.startswith(".") for part in PurePosixPath(relative_path).parts)


def _readable(relative_path: str) -> bool:
    return PurePosixPath(relative_path).suffix.lower() in FORMAT_BY_EXTENSION


def source_files(source: Source, landing: Root) -> list[StoredFile]:
    """The files of a source that ingest reads, in delivery order (modification time, then path): hidden
    ones (a copy in progress under a temporary dot-name, a `.gitkeep`) and other file types are left out."""
    found = [
        file
        for file in landing.list(source.folder)
        if not _hidden(file.relative_path) and _readable(file.relative_path)
    ]
    return sorted(found, key=lambda file: (file.modified_ns, file.relative_path))


def discover(
    source: Source, landing: Root | Path, known: Mapping[str, KnownHash], spool: Path | None = None
) -> list[LandingFile]:
    """Files of a source in delivery order (modification time, then name). A missing folder is no files.

    `known` holds what each relative path was when last hashed (`ledger.known_hashes`): a file that
    still has that size and modification time (an object: that size and ETag) is not read again. A new
    or changed object is copied into `spool` (needed for a landing root in object storage) and read there.
    """
    landing = landing if isinstance(landing, Root) else Root(str(landing))
    files = []
    for found in source_files(source, landing):
        relative_path = found.relative_path
        local = _local_copy(landing, relative_path, spool)
        recorded = known.get(relative_path)
        if recorded and recorded.vouches_for(found):
            files.append(
                LandingFile(local, relative_path, found.size_bytes, recorded.sha256, found.modified_ns, found.etag)
            )
            continue
        hashed_at = time.time_ns()
        if landing.remote:
            local.parent.mkdir(parents=True, exist_ok=True)
            landing.fetch(relative_path, local)
        sha256 = file_sha256(local)
        settled = landing.remote or (found.modified_ns < hashed_at - SETTLED_NS and _unchanged_since(local, found))
        vouched = found.modified_ns if settled else None
        files.append(LandingFile(local, relative_path, found.size_bytes, sha256, vouched, found.etag))
    return files


def _local_copy(landing: Root, relative_path: str, spool: Path | None) -> Path:
    if not landing.remote:
        return landing.local_path(relative_path)
    if spool is None:
        raise ValueError(f"reading {landing.child(relative_path)} needs a local spool folder")
    return spool / relative_path


class Stray(NamedTuple):
    """Something in the landing folder that no source reads: reported, never an error."""

    path: str  # relative to the landing root
    reason: str
    source: str | None  # the source folder it sits in; None at the landing root


def strays(landing: Root | Path, sources: Sequence[Source]) -> list[Stray]:
    """Folders the contract does not know, files at the landing root, and files of an unknown type
    inside a source folder. Hidden entries (a `.gitkeep`, an editor's swap file) are left out."""
    landing = landing if isinstance(landing, Root) else Root(str(landing))
    folders = {source.folder for source in sources}
    unknown_folders, found = set(), []
    for file in landing.list():
        if _hidden(file.relative_path):
            continue
        top, _, rest = file.relative_path.partition("/")
        if not rest:
            found.append(Stray(top, "a file at the landing root: files go into a source folder", None))
        elif top not in folders:
            unknown_folders.add(top)
        elif not _readable(file.relative_path):
            readable = ", ".join(sorted(FORMAT_BY_EXTENSION))
            found.append(Stray(file.relative_path, f"not a file type the pipeline reads ({readable})", top))
    found += [
        Stray(f"{name}/", f"not a source folder (one of: {', '.join(sorted(folders))})", None)
        for name in unknown_folders
    ]
    return sorted(found, key=lambda stray: (stray.source is not None, stray.path))


def _unchanged_since(path: Path, found: StoredFile) -> bool:
    """Whether `path` still has the size and modification time it was listed with (not rewritten while read)."""
    now = path.stat()
    return (now.st_size, now.st_mtime_ns) == (found.size_bytes, found.modified_ns)


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
