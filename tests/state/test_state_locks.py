"""Cluster locks across processes on both backends: exclusion, timeouts, release on death."""

from __future__ import annotations

import gc
import subprocess
import time
from collections.abc import Callable

import filelock
import pytest

from skycore.execution.locks import cluster_lock
from skycore.state import locks

Spawn = Callable[..., subprocess.Popen]

HOLDER = """
    import sys, time
    from skycore.execution.locks import cluster_lock
    lock = cluster_lock(sys.argv[1])
    lock.acquire()
    print("held", flush=True)
    time.sleep(300)
"""


def _expected_kind(url: str) -> type:
    return locks.AdvisoryLock if url.startswith("postgresql") else locks.FileLock


def test_lock_kind_follows_the_database(state_db: str) -> None:
    assert isinstance(cluster_lock("kind"), _expected_kind(state_db))


def test_lock_excludes_another_process_until_it_dies(state_db: str, spawn: Spawn) -> None:
    holder = spawn(HOLDER, "shared")
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"

    start = time.monotonic()
    with pytest.raises(locks.LockTimeout) as info:
        cluster_lock("shared", timeout=0.5).acquire()
    assert 0.4 <= time.monotonic() - start < 5
    # callers that caught filelock's timeout (or TimeoutError) keep working
    assert isinstance(info.value, filelock.Timeout) and isinstance(info.value, TimeoutError)
    assert "cluster-shared" in str(info.value)
    # another cluster is not affected
    with cluster_lock("other", timeout=0):
        pass

    holder.kill()
    holder.wait(timeout=30)
    lock = cluster_lock("shared", timeout=10)
    lock.acquire()
    assert lock.is_locked
    lock.release()
    assert not lock.is_locked


def test_released_lock_is_free_for_another_process(state_db: str, spawn: Spawn) -> None:
    with cluster_lock("handoff", timeout=5):
        prober = spawn("""
            import sys
            from skycore.execution.locks import cluster_lock
            from skycore.state.locks import LockTimeout
            try:
                cluster_lock(sys.argv[1], timeout=0).acquire()
                print("got")
            except LockTimeout:
                print("busy")
        """, "handoff")
        out, err = prober.communicate(timeout=60)
        assert out.strip() == "busy", err
    prober = spawn("""
        import sys
        from skycore.execution.locks import cluster_lock
        with cluster_lock(sys.argv[1], timeout=0):
            print("got")
    """, "handoff")
    out, err = prober.communicate(timeout=60)
    assert out.strip() == "got", err


def test_same_object_is_reentrant_and_other_objects_wait(state_db: str) -> None:
    lock = cluster_lock("re", timeout=1)
    with lock, lock:
        assert lock.is_locked
        with pytest.raises(locks.LockTimeout):
            cluster_lock("re", timeout=0).acquire()
    assert not lock.is_locked
    with cluster_lock("re", timeout=0):
        pass


def test_dropped_lock_object_frees_the_lock(state_db: str) -> None:
    """Like filelock, a lock object that is garbage-collected while held releases the lock."""
    cluster_lock("dropped", timeout=0).acquire()
    gc.collect()
    with cluster_lock("dropped", timeout=5):
        pass


def test_advisory_key_is_stable_and_namespaced() -> None:
    key = locks.advisory_key("cluster-a")
    assert key == locks.advisory_key("cluster-a") != locks.advisory_key("cluster-b")
    assert -(2**63) <= key < 2**63
