"""Real API servers for tests: started as ``python -m skycore.server`` on free loopback ports,
stopped (or SIGKILLed) by PID, never by name."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from skycore.utils import procs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as dead)."""
    return bool(procs.alive([pid]))


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition"
             ) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned) or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _wait_dead(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return not pid_alive(pid)


def children_of(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc), for checking nothing is left behind."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(") ", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current:
                found.append(child)
                frontier.append(child)
    return found


def stop_server_of(sky_home: Path, timeout: float = 15.0) -> None:
    """Stop the server a SKY_HOME's client auto-started (SIGTERM, then SIGKILL), by PID."""
    try:
        info = json.loads((sky_home / "api_server" / "server.json").read_text())
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError):
        return
    kill_tree(pid, timeout)


def kill_tree(pid: int, timeout: float = 15.0) -> None:
    descendants = children_of(pid)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        if _wait_dead(pid, timeout if sig == signal.SIGTERM else 5):
            break
    for child in descendants:  # workers also end on their own once the server is gone
        if pid_alive(child):
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass


class ApiServer:
    """One ``python -m skycore.server`` process with its own environment."""

    def __init__(self, sky_home: Path, *, env: dict[str, str] | None = None,
                 host: str = "127.0.0.1", port: int | None = None,
                 extra_args: list[str] | None = None) -> None:
        self.sky_home = Path(sky_home)
        self.host = host
        self.port = port or free_port()
        self.extra_args = list(extra_args or [])
        self.env = {**os.environ, "SKY_HOME": str(self.sky_home), **(env or {})}
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.sky_home / "api_server" / "server.log"

    def start(self, timeout: float = 60.0) -> ApiServer:
        (self.sky_home / "api_server").mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "skycore.server", "--host", self.host, "--port",
                 str(self.port), *self.extra_args],
                env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 60.0) -> None:
        import http.client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"API server exited with {self.proc.returncode}:\n"
                                   + self.log_path.read_text(errors="replace")[-3000:])
            conn = http.client.HTTPConnection(self.host, self.port, timeout=1)
            try:
                conn.request("GET", "/api/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.05)
        raise TimeoutError(f"API server on {self.url} not healthy in {timeout} s")

    def client_env(self, **extra: str) -> dict[str, Any]:
        """Environment for a client process (CLI subprocess) that talks to this server."""
        return {**self.env, "SKY_API_SERVER_ENDPOINT": self.url, **extra}

    def sigkill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            kill_tree(self.proc.pid)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None


@contextlib.contextmanager
def server_database(kind: str, home: Path, request: Any) -> Iterator[str]:
    """A fresh database URL for a test server: a SQLite file under ``home``, or a new database
    on the session's ``postgres_server`` fixture (dropped afterwards). ``request`` is pytest's
    ``FixtureRequest``."""
    if kind == "sqlite":
        yield f"sqlite:///{home / 'state.db'}"
        return
    postgres = request.getfixturevalue("postgres_server")
    name = f"srv_{uuid.uuid4().hex[:12]}"
    try:
        yield postgres.create_database(name)
    finally:
        postgres.drop_database(name)
