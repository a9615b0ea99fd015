"""The state database engine: one per process and URL, schema at head before first use.

SQLite (default, ``SKY_HOME/state.db``) runs in WAL mode with a busy timeout because several
processes (CLI, server workers, tests) write concurrently. PostgreSQL (``db:`` / ``SKY_DB``) gets
a small pool with pre-ping, so a server that outlives a database restart reconnects instead of
failing its next request.

Why fork handling: the API server forks worker processes. A pooled connection copied into a
child would be shared by two processes, and a driver closing it in one would corrupt the other's
session. After a fork the child's pools are replaced without closing the parent's connections
(``dispose(close=False)``); this happens automatically (``os.register_at_fork``), and
:func:`dispose_engines` does the same on demand (e.g. in a worker initializer).

Every error opening the database is re-raised as :class:`StateDatabaseError` with the password
masked, and without the chained driver exception that could quote it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skycore.state import schema
from skycore.state import url as db_url
from skycore.state.errors import StateDatabaseError, database_error

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

_lock = threading.Lock()
_engines: dict[str, Engine] = {}

#: per-process pool for PostgreSQL: a worker runs one request at a time, the server's event
#: loop a few queries at once; 5 + 5 keeps 20 processes under PostgreSQL's default 100
PG_POOL = {"pool_size": 5, "max_overflow": 5, "pool_timeout": 30, "pool_recycle": 1800}
PG_CONNECT_TIMEOUT_S = 10
SQLITE_BUSY_TIMEOUT_MS = 30000


def get_engine() -> Engine:
    url = db_url.db_url()
    engine = _engines.get(url)
    if engine is not None:
        return engine
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _open(url)
            _engines[url] = engine
        return engine


def dispose_engines(close: bool = False) -> None:
    """Drop every pooled connection of this process; engines stay usable (they reconnect).

    Call in a child right after ``fork`` with ``close=False`` (the default): the parent's
    connections are forgotten, not closed, so the parent keeps working. ``close=True`` really
    closes them (shutdown).
    """
    for engine in list(_engines.values()):
        engine.dispose(close=close)


def reset_engines() -> None:
    """Close and forget every engine, so the next :func:`get_engine` re-reads the URL and
    re-checks the schema (tests that switch databases)."""
    with _lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # another thread may have held it at fork time
    dispose_engines(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)


def _open(url: str) -> Engine:
    engine: Engine | None = None
    try:
        engine = _create(url)
        schema.ensure_current(engine, url)
        return engine
    except StateDatabaseError:
        if engine is not None:
            engine.dispose()
        raise
    except Exception as exc:  # noqa: BLE001 - any driver/URL error: re-raise it masked
        if engine is not None:
            engine.dispose()
        raise database_error("Cannot open the state database", url, exc) from None


def _create(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    if db_url.is_sqlite(url):
        path = db_url.sqlite_path(url)
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    if db_url.is_postgres(url):
        return create_engine(
            url, pool_pre_ping=True, **PG_POOL,
            connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S,
                          "application_name": "skycore"})
    return create_engine(url, pool_pre_ping=True)


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # busy_timeout first: switching a fresh file to WAL needs a lock other processes may hold
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # enforce foreign keys as PostgreSQL does, so code behaves the same on both backends
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
