"""Find and end process trees by an environment marker.

Why a marker and not a process group: Ray's worker processes call ``setsid`` themselves, so a
node's processes end up in many sessions. Every process a node starts inherits the node's marker
variable, which survives ``setsid``; scanning ``/proc/*/environ`` finds them all, and we only ever
signal processes we can prove we started.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable


def _read_environ(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _stat_fields(pid: int) -> list[bytes]:
    """Fields of /proc/<pid>/stat after the command name (state first), [] if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return []
    # the command name may contain spaces and parentheses: fields start after the last ')'
    return data[data.rfind(b")") + 2:].split()


def _parent_pid(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if len(fields) > 1 else None


def _is_zombie(pid: int) -> bool:
    fields = _stat_fields(pid)
    return not fields or fields[0] in (b"Z", b"X")


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def own_lineage() -> set[int]:
    """This process and its ancestors: never signal them (the caller may carry the marker)."""
    pids = set()
    pid: int | None = os.getpid()
    while pid and pid not in pids:
        pids.add(pid)
        pid = _parent_pid(pid)
    return pids


def find_marked(name: str, value_prefix: str, *, spare: set[int] | None = None) -> set[int]:
    """PIDs whose environment has ``name`` set to a value starting with ``value_prefix``, plus
    all their descendants (children that cleared their environment included).

    ``spare`` (default: this process and its ancestors, which may carry the marker) is never
    returned."""
    needle = f"{name}={value_prefix}".encode()
    pids = _all_pids()
    found: set[int] = set()
    for pid in pids:
        for entry in _read_environ(pid).split(b"\0"):
            if entry.startswith(needle):
                found.add(pid)
                break
    parents = {pid: _parent_pid(pid) for pid in pids}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if pid not in found and ppid in found:
                found.add(pid)
                changed = True
    return found - (own_lineage() if spare is None else spare)


def alive(pids: Iterable[int]) -> set[int]:
    """The subset of ``pids`` still running (zombies count as gone)."""
    result = set()
    for pid in pids:
        try:
            os.kill(pid, 0)
        except OSError:
            continue
        if not _is_zombie(pid):
            result.add(pid)
    return result


def terminate(pids: Iterable[int], grace_seconds: float = 5.0) -> None:
    """SIGTERM, wait up to ``grace_seconds``, then SIGKILL what is left."""
    pids = set(pids)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and alive(pids):
        time.sleep(0.05)
    for pid in alive(pids):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and alive(pids):
        time.sleep(0.05)


def terminate_marked(name: str, value_prefix: str, grace_seconds: float = 5.0, *,
                     spare: set[int] | None = None) -> set[int]:
    """End every process carrying the marker; repeat while new ones appear (a dying parent may
    spawn). Returns the PIDs that were signalled."""
    signalled: set[int] = set()
    for _ in range(5):
        pids = find_marked(name, value_prefix, spare=spare) - signalled
        pids = alive(pids)
        if not pids:
            break
        terminate(pids, grace_seconds)
        signalled |= pids
    return signalled
