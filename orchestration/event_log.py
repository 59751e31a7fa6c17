"""Dagster's SQLite event log, keeping its database connections open between events
(docs/decisions/0013-event-log-keeps-its-connections.md).

Dagster's SQLite event log opens a new engine and connection for every read and write and closes it after:
an asset's materialization or a check's result is three or four of them (the run's file, the index), and
closing the last connection to a WAL database checkpoints it. A run of the pipeline records ~900 events,
each a few milliseconds of opening and closing alone, most of them while dbt waits on nothing. This storage
is Dagster's own with one change: each database file's engine is kept and pools its connections. The index
and the few runs being written or read at the moment keep theirs; an older run's engine is closed, so a
webserver or daemon that reads many runs holds a bounded number of files open.

The override was checked against `CHECKED_AGAINST` and a test fails when another Dagster is installed: read
`SqliteEventLogStorage._connect` in the new version before moving the pin.
"""

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import StringSource
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

CHECKED_AGAINST = "1.13.27"
# Run files whose engines stay open besides the index's: the run being written, and a few a UI reads at once.
OPEN_RUN_FILES = 4


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log in `<dagster_home>/history/runs/`, where Dagster's default one keeps it."""

    def __init__(self, dagster_home: str, inst_data: ConfigurableClassData | None = None):
        self._dagster_home = dagster_home
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(os.path.join(dagster_home, "history", "runs", ""), inst_data=inst_data)

    @classmethod
    def config_type(cls):
        return {"dagster_home": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

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

    def dispose(self) -> None:
        super().dispose()
        with self._engines_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
