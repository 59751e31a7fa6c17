"""What a running stack is: its addresses, credentials and pids, as the tests and benchmarks use them, and as
ROOT/cluster.json keeps them for `python -m tools.cluster down`."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

DESCRIPTION = "cluster.json"


class ClusterError(RuntimeError):
    """A piece did not start, or did not stop; the message names it and its log."""


@dataclass(frozen=True)
class Cluster:
    root: Path  # everything of the stack lives under it: data, logs, the mount point
    s3_endpoint: str  # http://127.0.0.1:PORT
    access_key: str
    secret_key: str = field(repr=False)
    region: str
    mount: Path  # bucket b's key k is the file MOUNT/b/k on the Spark hosts
    thrift_host: str
    thrift_port: int
    connect_url: str  # sc://127.0.0.1:PORT
    postgres_port: int
    postgres_user: str  # owns the databases `metastore` and `dagster`
    postgres_password: str = field(repr=False)
    pids: dict[str, int]  # piece -> pid, in start order; restart_piece updates it in place
    buckets: tuple[str, ...]
    filer_port: int  # the object store's filer (HTTP); what the bucket's mount talks to
    master_url: str  # spark://127.0.0.1:PORT
    master_ui_port: int
    workers: int
    hidden: tuple[Path, ...]  # folders the Spark hosts cannot see

    @property
    def s3_port(self) -> int:
        return int(self.s3_endpoint.rsplit(":", 1)[1])

    @property
    def connect_port(self) -> int:
        return int(self.connect_url.rsplit(":", 1)[1])

    def environment(self) -> dict[str, str]:
        """The settings a pipeline run on this stack is given."""
        return {
            "AWS_ENDPOINT_URL": self.s3_endpoint,
            "AWS_REGION": self.region,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "LIFECYCLE_SPARK_THRIFT": f"{self.thrift_host}:{self.thrift_port}",
            "LIFECYCLE_SPARK_CONNECT": self.connect_url,
            "LIFECYCLE_SPARK_BUCKET_MOUNT": str(self.mount),
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.postgres_port),
            "DAGSTER_PG_USER": self.postgres_user,
            "DAGSTER_PG_PASSWORD": self.postgres_password,
            "DAGSTER_PG_DB": "dagster",
        }

    def save(self) -> Path:
        """ROOT/cluster.json, readable by root alone: it holds the credentials."""
        path = self.root / DESCRIPTION
        path.touch(mode=0o600)
        fields = asdict(self)
        text = {key: [str(item) for item in value] if key == "hidden" else value for key, value in fields.items()}
        path.write_text(json.dumps({**text, "root": str(self.root), "mount": str(self.mount)}, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, root: Path) -> "Cluster":
        fields = json.loads((Path(root) / DESCRIPTION).read_text())
        return cls(
            **{
                **fields,
                "root": Path(fields["root"]),
                "mount": Path(fields["mount"]),
                "buckets": tuple(fields["buckets"]),
                "hidden": tuple(Path(folder) for folder in fields["hidden"]),
            }
        )
