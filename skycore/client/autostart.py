"""Start the local API server in the background when nothing answers at a local endpoint.

Exactly one server even when several clients race: starters serialize on a file lock under
``SKY_HOME``, and whoever gets it second finds the first one's server healthy and starts
nothing. The server is a detached session (``sky`` exiting or Ctrl+C never stops it) that logs
to ``SKY_HOME/api_server/server.log``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from skycore import errors, paths
from skycore.client.endpoint import Endpoint

START_TIMEOUT_SECONDS = float(os.environ.get("SKYCORE_API_START_TIMEOUT", "60"))


def healthy(ep: Endpoint, timeout: float = 1.0) -> bool:
    import http.client

    conn = http.client.HTTPConnection(ep.host, ep.port, timeout=timeout)
    try:
        conn.request("GET", ep.base_path + "/api/health")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def server_log_path() -> str:
    return str(paths.sub_dir("api_server") / "server.log")


def _tail(path: str, lines: int = 20) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def spawn(ep: Endpoint, *, extra_args: list[str] | None = None) -> subprocess.Popen:
    log = open(server_log_path(), "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "skycore.server", "--host", ep.host, "--port", str(ep.port),
             *(extra_args or [])],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True)
    finally:
        log.close()


def wait_healthy(ep: Endpoint, proc: subprocess.Popen | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.02
    while time.monotonic() < deadline:
        if healthy(ep, timeout=0.5):
            return
        if proc is not None and proc.poll() is not None:
            raise errors.ApiServerError(
                f"The API server failed to start (exit code {proc.returncode}). Its log "
                f"({server_log_path()}) ends with:\n{_tail(server_log_path())}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)
    raise errors.ApiServerError(f"The API server at {ep.url} did not become healthy within "
                                f"{timeout:.0f} s; see {server_log_path()}.")


def start_local(ep: Endpoint, *, quiet: bool = False) -> bool:
    """Make sure a server answers at local ``ep``; returns True if this call started it."""
    import filelock

    lock = filelock.FileLock(str(paths.sub_dir("api_server") / "start.lock"))
    try:
        with lock.acquire(timeout=START_TIMEOUT_SECONDS):
            if healthy(ep):
                return False
            if not quiet:
                sys.stderr.write(f"Starting a local API server at {ep.url} ...\n")
                sys.stderr.flush()
            proc = spawn(ep)
            wait_healthy(ep, proc, START_TIMEOUT_SECONDS)
            if not quiet:
                sys.stderr.write("\u2713 API server started.\n")
                sys.stderr.flush()
            return True
    except filelock.Timeout:
        raise errors.ApiServerError(f"Timed out waiting for another client to start the API "
                                    f"server at {ep.url}.") from None
