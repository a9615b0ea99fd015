"""Named locks shared by every process that uses the same state database.

Why two kinds: with SQLite every process runs on one machine, so a file lock under ``SKY_HOME``
is enough. With PostgreSQL the server's workers may run on several machines (or containers that
share no ``SKY_HOME``), so the lock lives in the database: a *session* advisory lock held by a
dedicated connection. PostgreSQL drops it when that connection ends, so a process that dies
(even by SIGKILL) never leaves a cluster locked -- the same guarantee ``flock`` gives.

Both kinds have one interface (:class:`Lock`: ``acquire``/``release``/context manager, reentrant
per object, ``timeout`` -1 = wait forever, 0 = try once) and raise the same :class:`LockTimeout`,
which is a ``filelock.Timeout`` (what callers caught before) and so a ``TimeoutError``.

Objects are meant for one thread, like the code that uses them (one request per worker process).
A process forked while holding a lock never releases it from the child.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import filelock

from skycore import paths
from skycore.state import url as db_url

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

_POLL_START = 0.05
_POLL_MAX = 0.5


class LockTimeout(filelock.Timeout):
    """The lock was not acquired in time: another operation holds it."""

    def __init__(self, lock_file: str, timeout: float | None = None) -> None:
        super().__init__(lock_file)
        self.timeout = timeout

    def __str__(self) -> str:
        waited = f" within {self.timeout:g} s" if self.timeout is not None else ""
        return f"Could not acquire the lock {self.lock_file!r}{waited}: another operation holds it."


class Lock(Protocol):
    name: str

    def acquire(self, timeout: float | None = None) -> Lock: ...

    def release(self) -> None: ...

    @property
    def is_locked(self) -> bool: ...

    def __enter__(self) -> Lock: ...

    def __exit__(self, *exc: object) -> None: ...


def named_lock(name: str, timeout: float = -1) -> Lock:
    """The lock called ``name`` in the configured state database's lock space."""
    if db_url.is_postgres(db_url.db_url()):
        from skycore.state.engine import get_engine

        return AdvisoryLock(get_engine, name, timeout)
    return FileLock(paths.locks_dir() / f"{name}.lock", name, timeout)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (the same in every process and version)."""
    digest = hashlib.sha256(f"skycore:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class _Reentrant:
    """Shared bits: reentrancy counter, default timeout, context manager."""

    def __init__(self, name: str, timeout: float) -> None:
        self.name = name
        self.timeout = timeout
        self._count = 0

    @property
    def is_locked(self) -> bool:
        return self._count > 0

    def __enter__(self) -> Any:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self, timeout: float | None = None) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def release(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class FileLock(_Reentrant):
    """A ``flock`` on a file (SQLite setups: all processes share one machine)."""

    def __init__(self, path: Path, name: str, timeout: float = -1) -> None:
        super().__init__(name, timeout)
        self.path = path
        self._lock = filelock.FileLock(str(path), timeout=timeout)

    def acquire(self, timeout: float | None = None) -> FileLock:
        wait = self.timeout if timeout is None else timeout
        try:
            self._lock.acquire(timeout=wait)
        except filelock.Timeout:
            raise LockTimeout(self.name, wait) from None
        self._count += 1
        return self

    def release(self) -> None:
        if self._count:
            self._count -= 1
            self._lock.release()


class AdvisoryLock(_Reentrant):
    """A PostgreSQL session advisory lock held by a dedicated connection.

    ``pg_try_advisory_lock`` is polled (not the blocking ``pg_advisory_lock``) so that the
    timeout is ours and a waiting process stays interruptible. The connection runs in autocommit
    so that holding the lock for a whole launch never keeps a transaction open.
    """

    def __init__(self, engine: Callable[[], Engine], name: str, timeout: float = -1) -> None:
        super().__init__(name, timeout)
        self.key = advisory_key(name)
        self._engine = engine
        self._conn: Connection | None = None
        self._pid = 0

    def acquire(self, timeout: float | None = None) -> AdvisoryLock:
        if self._count:
            self._count += 1
            return self
        from sqlalchemy import text

        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + max(wait, 0)
        interval = _POLL_START
        conn = self._engine().connect()
        try:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            try_lock = text("SELECT pg_try_advisory_lock(:key)")
            while not conn.execute(try_lock, {"key": self.key}).scalar():
                remaining = deadline - time.monotonic()
                if wait >= 0 and remaining <= 0:
                    conn.close()  # no lock taken: the connection can go back to the pool
                    raise LockTimeout(self.name, wait)
                time.sleep(interval if wait < 0 else min(interval, remaining))
                interval = min(interval * 1.5, _POLL_MAX)
        except LockTimeout:
            raise
        except BaseException:
            # we may hold the lock without knowing: end the session, which drops it
            conn.invalidate()
            conn.close()
            raise
        self._conn, self._count, self._pid = conn, 1, os.getpid()
        return self

    def __del__(self) -> None:
        # dropped while held (as filelock does, release): ending the session drops the lock;
        # a pooled connection would otherwise keep it for the life of the process
        conn = getattr(self, "_conn", None)
        if conn is not None and os.getpid() == self._pid:
            try:
                conn.invalidate()
            except Exception:  # noqa: BLE001 - interpreter shutdown, connection already gone
                pass

    def release(self) -> None:
        if not self._count:
            return
        self._count -= 1
        if self._count:
            return
        conn, self._conn = self._conn, None
        if conn is None or os.getpid() != self._pid:
            return  # a forked child must not touch its parent's session
        from sqlalchemy import exc, text

        try:
            unlocked = conn.execute(text("SELECT pg_advisory_unlock(:key)"),
                                    {"key": self.key}).scalar()
            if not unlocked:
                conn.invalidate()
        except exc.DBAPIError:
            conn.invalidate()  # closing the session releases the lock server-side
        finally:
            conn.close()
