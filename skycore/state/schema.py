"""Bring the state database's schema to this skycore's head revision, safely and cheaply.

Why two paths: every CLI call and worker process opens the engine, and ``import alembic`` alone
costs ~0.5 s. The fast path reads ``alembic_version`` with one query and returns when it is at
:data:`~skycore.state.migrations.HEAD`. Only otherwise is alembic imported.

Why a lock: several processes may open a fresh database at once (the server's workers, racing
clients). The slow path runs under a cross-process lock (a file lock next to the SQLite file, an
advisory lock on PostgreSQL) and re-reads the revision under it, so exactly one process migrates
and the others find the work done.

Special cases of the slow path:
  * a database written by a newer skycore (a revision we do not know) is refused with
    "upgrade skycore" instead of being touched;
  * a pre-Alembic database (``schema_version`` table, no ``alembic_version``) is stamped at the
    baseline revision (its tables are exactly the baseline's) and then upgraded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skycore.state import migrations
from skycore.state import url as db_url
from skycore.state.errors import database_error

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

#: how long a process waits for another one's migration before giving up
MIGRATION_LOCK_TIMEOUT = 600.0
_PRE_ALEMBIC_TABLE = "schema_version"
_PRE_ALEMBIC_VERSION = 1


def ensure_current(engine: Engine, url: str) -> None:
    """Migrate the database to HEAD unless it is there already (see module docstring)."""
    if current_revisions(engine) == [migrations.HEAD]:
        return
    with _migration_lock(engine, url):
        _upgrade(engine, url)


def current_revisions(engine: Engine) -> list[str] | None:
    """The revisions stored in ``alembic_version`` (one query), ``None`` without that table.

    Connection errors propagate: only a failing SELECT means "no table yet".
    """
    from sqlalchemy import exc, text

    with engine.connect() as conn:
        try:
            return sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        except exc.DBAPIError as err:
            if err.connection_invalidated:
                raise
            return None


@contextlib.contextmanager
def _migration_lock(engine: Engine, url: str) -> Iterator[None]:
    from skycore.state import locks

    if db_url.is_postgres(url):
        lock: Any = locks.AdvisoryLock(lambda: engine, "migrations", MIGRATION_LOCK_TIMEOUT)
    else:
        path = db_url.sqlite_path(url) if db_url.is_sqlite(url) else None
        if path is None:  # in-memory or another backend: nothing to share with
            yield
            return
        lock = locks.FileLock(Path(f"{path}.migrate.lock"), "migrations", MIGRATION_LOCK_TIMEOUT)
    with lock:
        yield


def _upgrade(engine: Engine, url: str) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # pysqlite runs DDL outside any transaction: an explicit one makes the whole
            # migration atomic (a Ctrl+C mid-way leaves the old schema, not half a new one).
            # Foreign keys off, as SQLite's ALTER recipe (batch mode's table copy) requires;
            # the pragma is ignored inside a transaction, hence before BEGIN.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            cfg = migrations.alembic_config(conn)
            known = {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}
            tables = set(inspect(conn).get_table_names())
            if "alembic_version" in tables:
                stored = set(conn.execute(text("SELECT version_num FROM alembic_version"))
                             .scalars())
                unknown = stored - known
                if unknown:
                    raise database_error(
                        f"The state database was written by a newer skycore (schema revision "
                        f"{', '.join(sorted(unknown))}; this skycore knows up to "
                        f"{migrations.HEAD}). Upgrade skycore", url)
            elif _PRE_ALEMBIC_TABLE in tables:
                _adopt_pre_alembic(conn, cfg, url)
            command.upgrade(cfg, "head")
            conn.commit()
        finally:
            if sqlite:  # never pool a connection left with foreign keys off
                conn.invalidate()


def _adopt_pre_alembic(conn: Connection, cfg: Any, url: str) -> None:
    """Stamp a pre-Alembic database at the baseline and drop its old version table."""
    from alembic import command
    from sqlalchemy import text

    version = conn.execute(text(f"SELECT max(version) FROM {_PRE_ALEMBIC_TABLE}")).scalar()
    if version is not None and version > _PRE_ALEMBIC_VERSION:
        raise database_error(
            f"The state database was written by a newer skycore (schema {version}). "
            f"Upgrade skycore", url)
    command.stamp(cfg, migrations.BASELINE)
    conn.execute(text(f"DROP TABLE {_PRE_ALEMBIC_TABLE}"))
