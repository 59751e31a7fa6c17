"""Dagster's SQLite event log, keeping its database connections open between events
(docs/decisions/0013-event-log-keeps-its-connections.md).

Dagster's SQLite event log opens a new engine and connection for every read and write and closes it after:
an asset's materialization or a check's result is three or four of them (the run's file, the index), and
closing the last connection to a WAL database checkpoints it. A run of the pipeline records hundreds of
events, most of them while dbt's nodes report, and that opening and closing was most of their cost
(docs/performance.md, *Fixed cost at S*). This storage
is Dagster's own with three changes:

- each database file's engine is kept and pools its connections. The index and the few runs being written or
  read at the moment keep theirs; an older run's engine is closed, so a webserver or daemon that reads many
  runs holds a bounded number of files open;
- each connection commits with `synchronous=NORMAL`, SQLite's advice for WAL databases (`_synchronous_normal`);
- a table or column of the index found once is not looked for again: Dagster's storage asks for the asset
  checks' table at each check event, through an engine of its own, and for the asset keys' columns at each
  asset event.

The overrides were checked against `CHECKED_AGAINST` and a test fails when another Dagster is installed: read
`SqliteEventLogStorage._connect`, `has_table` and `_has_asset_key_col_on_connection` in the new version before
moving the pin.
"""

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

CHECKED_AGAINST = "1.13.27"
# Run files whose engines stay open besides the index's: the run being written, and a few a UI reads at once.
OPEN_RUN_FILES = 4


def _runs_folder(dagster_home: str) -> str:
    return os.path.join(dagster_home, "history", "runs", "")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log in `<instance folder>/history/runs/`, where Dagster's default one keeps it.

    The folder is the instance's own, known when the instance registers its storage: an instance opened by
    its folder (`DagsterInstance.from_config(path)`, as a test or a script reads another home's runs) reads
    that folder's runs, whatever DAGSTER_HOME says in the process."""

    def __init__(self, dagster_home: str | None = None, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        # What this storage has seen exist: Dagster's migrations add tables and columns, nothing drops them.
        self._tables_found: set[str] = set()
        self._asset_key_columns_found: set[str] = set()
        self._inst_data = inst_data
        if dagster_home is not None:  # a storage of its own, outside an instance
            super().__init__(_runs_folder(dagster_home), inst_data=inst_data)

    @classmethod
    def config_type(cls):
        return {}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data)

    def register_instance(self, instance) -> None:
        if not hasattr(self, "_base_dir"):
            super().__init__(_runs_folder(instance.root_directory), inst_data=self._inst_data)
        super().register_instance(instance)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            # SQLAlchemy pools a file database's connections (QueuePool), usable from any thread; this
            # storage's lock lets one thread at a time use them, as Dagster's own does.
            engine = create_engine(
                self.conn_string_for_shard(shard), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
            )
            event.listen(engine, "connect", _synchronous_normal)
            self._engines[shard] = engine
            runs = [name for name in self._engines if name != INDEX_SHARD_NAME]
            for oldest in runs[: max(0, len(runs) - OPEN_RUN_FILES)]:
                self._engines.pop(oldest).dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as connection, connection.begin():
                yield connection

    def has_table(self, table_name: str) -> bool:
        # Dagster's asks the index file anew, through an engine of its own, for each asset check event.
        if table_name not in self._tables_found and super().has_table(table_name):
            self._tables_found.add(table_name)
        return table_name in self._tables_found

    def _has_asset_key_col_on_connection(self, conn: Connection, column_name: str) -> bool:
        # Dagster's reads the table's columns for each asset event.
        if column_name not in self._asset_key_columns_found and super()._has_asset_key_col_on_connection(
            conn, column_name
        ):
            self._asset_key_columns_found.add(column_name)
        return column_name in self._asset_key_columns_found

    def dispose(self) -> None:
        super().dispose()
        with self._engines_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()


def _synchronous_normal(dbapi_connection, _connection_record) -> None:
    """SQLite's advice for a database in WAL mode, as Dagster's are: a commit waits for the disk only at a
    checkpoint instead of at every commit. A crash of the machine (not of the process) may lose the last
    events written before it; the database stays whole."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
