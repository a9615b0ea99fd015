"""The daemon's control channel: one JSON request line, one JSON reply line, over a unix socket.

Why a socket and not only the job table: `submit` must wake the daemon at once (the target is the
first output line of `echo hi` well under 0.5 s), and `cancel` needs the daemon's Ray connection to
reach worker nodes; the CLI itself never imports ray. The socket lives in the abstract namespace
(see `paths.control_socket_name`). The daemon also polls the table slowly, so a lost wake-up only
costs latency, never a job.
"""

from __future__ import annotations

import json
import socket
import threading
import traceback
from collections.abc import Callable
from typing import Any

_MAX_LINE = 1 << 20


def _read_line(sock: socket.socket) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if b"\n" in chunk or size > _MAX_LINE:
            break
    return b"".join(chunks).split(b"\n", 1)[0]


def request(name: str, payload: dict[str, Any], timeout: float) -> dict[str, Any] | None:
    """Send one request to the daemon; None when no daemon listens (or it did not answer)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(name)
        sock.sendall(json.dumps(payload).encode() + b"\n")
        line = _read_line(sock)
    except OSError:
        return None
    finally:
        sock.close()
    if not line:
        return None
    return json.loads(line)


class ControlServer:
    """Accepts requests on the daemon's socket; each connection is served on its own thread.

    A thread per connection because some requests (cancel) take seconds and must not delay a
    concurrent wake-up from `submit`.
    """

    def __init__(self, name: str, handler: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self._handler = handler
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Raises OSError(EADDRINUSE) when another daemon of this HOME is listening.
        self._sock.bind(name)
        self._sock.listen(64)

    def serve_forever_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self._accept_loop, name="control-accept", daemon=True)
        thread.start()
        return thread

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), name="control-conn",
                             daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(30)
                line = _read_line(conn)
                reply = self._handler(json.loads(line))
            except Exception as exc:  # a bad request must never take the daemon down
                traceback.print_exc()
                reply = {"error": str(exc), "type": type(exc).__name__}
            try:
                conn.settimeout(5)
                conn.sendall(json.dumps(reply).encode() + b"\n")
            except OSError:
                pass

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass
