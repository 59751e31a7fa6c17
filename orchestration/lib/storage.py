"""Where the pipeline's files live: a local folder, or a prefix in S3-compatible object storage
(`s3://bucket/prefix`).

The endpoint, region and credentials of object storage come from the variables every AWS SDK reads
(`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, or a profile), through
botocore itself: the project keeps no copy of them, so none can be logged. A file is written whole: on a
local disk under a hidden name renamed into place, in a bucket by one put, which makes the object
appear complete or not at all.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

OBJECT_STORE_SCHEME = "s3://"


class StorageError(RuntimeError):
    """Object storage could not be reached or refused a request: says which endpoint and what was asked."""


@dataclass(frozen=True)
class StoredFile:
    relative_path: str  # below the root, with forward slashes
    size_bytes: int
    modified_ns: int
    etag: str | None = None  # object storage's fingerprint of the content; None on a local disk


def is_object_store(location: str | os.PathLike) -> bool:
    return str(location).startswith(OBJECT_STORE_SCHEME)


def endpoint() -> str:
    """The object storage endpoint requests go to, for messages: the configured one or AWS's."""
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or "AWS S3"


@cache
def _filesystem():
    import s3fs  # only a bucket needs it: imported on first use

    # Listings are not cached: each run must see the objects as they are now.
    return s3fs.S3FileSystem(use_listings_cache=False, skip_instance_cache=True)


def _storage_error(action: str, location: str, error: Exception) -> StorageError:
    # botocore's messages name the request, never the credentials.
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return StorageError(f"object storage at {endpoint()} failed to {action} {location}: {reason}")


@dataclass(frozen=True)
class Root:
    """A folder of files: an absolute local path or an `s3://bucket/prefix` URI."""

    location: str

    def __post_init__(self):
        object.__setattr__(self, "location", self.location.rstrip("/") or "/")

    def __str__(self) -> str:
        return self.location

    @property
    def remote(self) -> bool:
        return is_object_store(self.location)

    def child(self, relative_path: str) -> str:
        return f"{self.location}/{relative_path.strip('/')}" if relative_path.strip("/") else self.location

    def local_path(self, relative_path: str = "") -> Path:
        """A local root's file as a path (object storage has none)."""
        if self.remote:
            raise ValueError(f"{self.location} is in object storage, not a local folder")
        return Path(self.child(relative_path))

    def exists(self) -> bool:
        if not self.remote:
            return Path(self.location).is_dir()
        try:  # one request, not a listing of every object below the prefix
            return bool(_filesystem().exists(self.location.removeprefix(OBJECT_STORE_SCHEME)))
        except Exception as error:  # noqa: BLE001 - any failure of the store is reported with its endpoint
            raise _storage_error("list", self.location, error) from None

    def list(self, under: str = "") -> list[StoredFile]:
        """Every file below `under` (relative to the root), in path order; nothing when there is no such folder."""
        if not self.remote:
            folder = Path(self.child(under))
            if not folder.is_dir():
                return []
            found = []
            for path in folder.rglob("*"):
                if path.is_file():
                    stat = path.stat()
                    relative = path.relative_to(self.location).as_posix()
                    found.append(StoredFile(relative, stat.st_size, stat.st_mtime_ns))
            return sorted(found, key=lambda file: file.relative_path)
        prefix = self.child(under).removeprefix(OBJECT_STORE_SCHEME)
        try:
            listed = _filesystem().find(prefix, detail=True)
        except FileNotFoundError:
            return []
        except Exception as error:  # noqa: BLE001 - any failure of the store is reported with its endpoint
            raise _storage_error("list", self.child(under), error) from None
        root = self.location.removeprefix(OBJECT_STORE_SCHEME) + "/"
        return sorted(
            (
                StoredFile(
                    key.removeprefix(root),
                    int(info["size"]),
                    int(info["LastModified"].timestamp() * 1e9),
                    str(info.get("ETag", "")).strip('"') or None,
                )
                for key, info in listed.items()
                if info.get("type") != "directory" and key.startswith(root)
            ),
            key=lambda file: file.relative_path,
        )

    def fetch(self, relative_path: str, local: Path) -> None:
        """Copy one file to `local` (read once: object storage is read over the network)."""
        if not self.remote:
            shutil.copyfile(self.child(relative_path), local)
            return
        try:
            _filesystem().get_file(self.child(relative_path).removeprefix(OBJECT_STORE_SCHEME), str(local))
        except Exception as error:  # noqa: BLE001
            raise _storage_error("read", self.child(relative_path), error) from None

    @contextmanager
    def new_file(self, relative_path: str) -> Iterator[Path]:
        """A local path to write `relative_path` to; on leaving the block it appears whole at the root, or not
        at all if the block raised."""
        if not self.remote:
            target = Path(self.child(relative_path))
            target.parent.mkdir(parents=True, exist_ok=True)
            staged = target.with_name(f".{target.name}.tmp")  # hidden: readers skip it until the rename
            try:
                yield staged
                os.replace(staged, target)
            finally:
                staged.unlink(missing_ok=True)
            return
        with tempfile.TemporaryDirectory(prefix="lifecycle-put-") as folder:
            staged = Path(folder) / Path(relative_path).name
            yield staged
            try:
                _filesystem().put_file(str(staged), self.child(relative_path).removeprefix(OBJECT_STORE_SCHEME))
            except Exception as error:  # noqa: BLE001
                raise _storage_error("write", self.child(relative_path), error) from None

    def delete(self, relative_path: str) -> None:
        if not self.remote:
            path = Path(self.child(relative_path))
            path.unlink(missing_ok=True)
            if path.parent != Path(self.location) and path.parent.is_dir() and not any(path.parent.iterdir()):
                path.parent.rmdir()
            return
        try:
            _filesystem().rm_file(self.child(relative_path).removeprefix(OBJECT_STORE_SCHEME))
        except FileNotFoundError:
            pass
        except Exception as error:  # noqa: BLE001
            raise _storage_error("delete", self.child(relative_path), error) from None
