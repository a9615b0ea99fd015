"""Process utilities built on /proc (stdlib only: used by the CLI, the daemon and node tasks).

Why /proc and environment markers: a job's commands run in their own sessions, Ray workers call
setsid, and users' scripts may daemonise; neither process groups nor parent links alone find them.
Every job process carries `MARKER_KEY=<marker>` in its environment (inherited by its children), so
a scan of `/proc/*/environ` finds the tree, and `PPid` links add children that cleared their env.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path


def _stat_fields(pid: int) -> list[bytes] | None:
    """Fields of /proc/<pid>/stat after the command name (state is [0], ppid is [1])."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return data[data.rindex(b")") + 2 :].split()


def pid_alive(pid: int) -> bool:
    """True when the process exists and is not a zombie (a zombie has released everything)."""
    if pid <= 0:
        return False
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in (b"Z", b"X")


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _environ_entries(pid: int) -> set[bytes]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return set(fh.read().split(b"\0"))
    except OSError:  # other users' processes, or gone
        return set()


def find_marked(key: str, values: Iterable[str]) -> set[int]:
    """PIDs whose environment holds key=<one of values>, plus all their descendants."""
    wanted = {f"{key}={value}".encode() for value in values}
    if not wanted:
        return set()
    me = os.getpid()
    pids = _all_pids()
    found = {pid for pid in pids if pid != me and _environ_entries(pid) & wanted}
    parents: dict[int, int] = {}
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            parents[pid] = int(fields[1])
    grew = True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in found and pid not in found and pid != me:
                found.add(pid)
                grew = True
    return found


def _signal_all(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def kill_marked(key: str, values: Sequence[str], grace: float = 3.0) -> list[int]:
    """TERM every marked process, wait up to `grace` s, KILL survivors; return the PIDs signalled.

    The scan (a read of every process's environ) is repeated now and then while waiting, because
    a dying shell may still fork; liveness checks in between are cheap.
    """
    pids = find_marked(key, values)
    if not pids:
        return []
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    next_scan = time.monotonic() + 0.25
    while time.monotonic() < deadline:
        time.sleep(0.02)
        if time.monotonic() >= next_scan:
            next_scan = time.monotonic() + 0.25
            new = find_marked(key, values) - pids
            if new:
                _signal_all(new, signal.SIGTERM)
                pids |= new
        if not any(pid_alive(pid) for pid in pids) and not find_marked(key, values) - pids:
            return sorted(pids)
    for _ in range(3):
        pids |= find_marked(key, values)
        alive = [pid for pid in pids if pid_alive(pid)]
        if not alive:
            break
        _signal_all(alive, signal.SIGKILL)
        time.sleep(0.05)
    return sorted(pids)


def terminate(pid: int, grace: float) -> bool:
    """TERM one process, wait up to `grace` s, then KILL it; True when it is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return not pid_alive(pid)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    for _ in range(40):
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def spawn_detached(
    argv: Sequence[str],
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    reap: bool = True,
) -> subprocess.Popen:
    """Start `argv` in its own session with stdio on `log_path`, so it outlives its parent.

    Used for the daemon (the CLI exits right away) and for the autostop command (it kills the daemon
    that started it). With `reap`, a thread waits on it so no zombie is left while the parent lives.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
    if reap:
        threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
    return proc
