"""The state database engine: SQLite under ``SKY_HOME`` (PostgreSQL arrives with the server).

One engine per process and DB URL. SQLite runs in WAL mode with a busy timeout because several
processes (CLI, server workers, tests) write concurrently.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from sqlalchemy import create_engine, event, insert, select
from sqlalchemy.engine import Engine

from skycore import paths
from skycore.state import models

_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def db_url() -> str:
    return os.environ.get("SKY_DB") or f"sqlite:///{paths.sky_home() / 'state.db'}"


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def get_engine() -> Engine:
    url = db_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine(url, future=True)
            if url.startswith("sqlite"):
                event.listen(engine, "connect", _on_sqlite_connect)
            _migrate(engine)
            _engines[url] = engine
        return engine


def _migrate(engine: Engine) -> None:
    """Create the schema, or upgrade it step by step from the stored version."""
    models.metadata.create_all(engine)
    with engine.begin() as conn:
        row = conn.execute(select(models.schema_version.c.version)).first()
        if row is None:
            conn.execute(insert(models.schema_version).values(id=1,
                                                              version=models.SCHEMA_VERSION))
        elif row.version > models.SCHEMA_VERSION:
            raise RuntimeError(
                f"The state database at {engine.url} was written by a newer skycore (schema "
                f"{row.version} > {models.SCHEMA_VERSION}). Upgrade skycore.")
