"""Per-cluster locks: one launch/stop/start/down at a time for a given cluster, across processes.

The lock lives where the state does (:mod:`skycore.state.locks`): a file lock under ``SKY_HOME``
with SQLite, a PostgreSQL advisory lock (released by the database if the holder dies) with
PostgreSQL. A timeout raises :class:`~skycore.state.locks.LockTimeout`, a ``filelock.Timeout``.
"""

from __future__ import annotations

from skycore.state.locks import Lock, LockTimeout, named_lock

__all__ = ["Lock", "LockTimeout", "cluster_lock"]


def cluster_lock(name: str, timeout: float = -1) -> Lock:
    """The lock of cluster ``name`` (``timeout`` -1 waits forever, 0 tries once)."""
    return named_lock(f"cluster-{name}", timeout)
