"""A worker process: runs requests one at a time, each with its output in the request's log.

Workers are forked from a preloaded fork server (:mod:`skycore.server.preload`), so a new one
starts in milliseconds with the heavy imports already done, and they keep their caches (plugins,
catalogs, DB engine) from one request to the next.

Each worker leads its own process group: cancelling a request signals the group, which reaches
the subprocesses the request started. SIGTERM becomes ``KeyboardInterrupt`` in the running
request, so the code unwinds the way a Ctrl+C in-process would (runners kill their commands);
the worker then reports CANCELLED and exits rather than serve again from a half-unwound state.
A watchdog ends the whole group if the server process disappears (e.g. SIGKILL), so no request
runs on with nobody to record its outcome; the restarted server marks such requests FAILED.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from typing import Any

_running = False
_WATCHDOG_SECONDS = 0.5


def _on_sigterm(signum: int, frame: Any) -> None:
    del signum, frame
    if _running:
        raise KeyboardInterrupt("request cancelled")
    os._exit(0)


def _watch_server(server_pid: int) -> None:
    while True:
        time.sleep(_WATCHDOG_SECONDS)
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            os.killpg(os.getpgid(0), signal.SIGKILL)
        except PermissionError:  # pid reused by someone else's process: the server is gone
            os.killpg(os.getpgid(0), signal.SIGKILL)


def _redirect(path: str | None) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _execute(message: dict[str, Any]) -> dict[str, Any]:
    from skycore import errors
    from skycore.server import ops
    from skycore.utils import error_codec

    global _running
    request_id = message["request_id"]
    os.environ["SKYCORE_USER"] = message["user"]
    os.environ["SKYCORE_REQUEST_ID"] = request_id
    _redirect(message["log_path"])
    reply: dict[str, Any] = {"request_id": request_id}
    _running = True
    try:
        reply["return_value"] = ops.run(message["name"], message["body"])
        reply["status"] = "SUCCEEDED"
    except KeyboardInterrupt:
        reply["status"] = "CANCELLED"
        reply["exit"] = True
    except BaseException as exc:  # noqa: BLE001 - every failure is the request's outcome
        reply["status"] = "FAILED"
        reply["error"] = error_codec.encode(exc)
        if not isinstance(exc, errors.SkyError):
            traceback.print_exc()
        if isinstance(exc, SystemExit):
            reply["exit"] = True
    finally:
        _running = False
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - a closed log must not lose the reply
            pass
        _redirect(None)
    return reply


def main(conn: Any, server_pid: int) -> None:
    """Worker entry point (``multiprocessing`` target): serve requests from ``conn``."""
    os.setsid()
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_server, args=(server_pid,), daemon=True,
                     name="server-watchdog").start()
    from skycore.state import engine

    engine.dispose_engines()
    _redirect(None)
    conn.send({"ready": os.getpid()})
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        reply = _execute(message)
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return
        if reply.get("exit"):
            os._exit(0)
