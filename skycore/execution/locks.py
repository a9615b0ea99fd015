"""Per-cluster locks: one launch/stop/start/down at a time for a given cluster, across
processes (a file lock under ``SKY_HOME``; the PostgreSQL advisory lock arrives with the server)."""

from __future__ import annotations

import filelock

from skycore import paths


def cluster_lock(name: str, timeout: float = -1) -> filelock.FileLock:
    return filelock.FileLock(str(paths.locks_dir() / f"cluster-{name}.lock"), timeout=timeout)
