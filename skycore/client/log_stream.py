"""Following a request's log from the client: bytes to the terminal, stage events to the
spinner, and a transparent reattach when the connection drops.

The client counts the bytes it has received; after a dropped connection it asks the server for
the log from that byte offset, so nothing is shown twice or lost.
"""

from __future__ import annotations

import http.client
import sys
import time
from collections.abc import Callable
from typing import IO

from skycore import errors
from skycore.client import rest
from skycore.utils import stream_marks

_RECONNECT_SECONDS = 60.0


class _Splitter:
    """Separates stage-event lines from output bytes in a byte stream cut at random points."""

    def __init__(self, output: IO[bytes], on_stage: Callable[[str, str], None] | None) -> None:
        self.output = output
        self.on_stage = on_stage
        self._pending = b""  # an unfinished line that may be a stage event

    def feed(self, data: bytes) -> None:
        buf = self._pending + data
        self._pending = b""
        out = bytearray()
        while buf:
            if buf[:1] == stream_marks.STAGE_PREFIX[:1]:
                end = buf.find(b"\n")
                if end < 0:
                    self._pending = buf
                    break
                line, buf = buf[:end + 1], buf[end + 1:]
                event = stream_marks.parse_stage(line)
                if event is None:
                    out += line
                    continue
                if out:
                    self._write(bytes(out))
                    out.clear()
                if self.on_stage is not None:
                    self.on_stage(*event)
                continue
            mark = buf.find(b"\n" + stream_marks.STAGE_PREFIX[:1])
            if mark < 0:
                out += buf
                break
            out += buf[:mark + 1]
            buf = buf[mark + 1:]
        if out:
            self._write(bytes(out))

    def close(self) -> None:
        if self._pending:
            self._write(self._pending)
            self._pending = b""

    def _write(self, data: bytes) -> None:
        self.output.write(data)
        self.output.flush()


def follow(request_id: str, output: IO[bytes] | None = None, *,
           on_stage: Callable[[str, str], None] | None = None, follow: bool = True,
           tail: int = -1) -> None:
    """Stream the log of ``request_id`` until the request finishes (or the end, without
    ``follow``)."""
    if output is None:
        output = sys.stdout.buffer
    splitter = _Splitter(output, on_stage)
    received = 0
    lost_since: float | None = None
    params: dict[str, object] = {"request_id": request_id, "follow": follow, "tail": tail}
    while True:
        try:
            response = rest.open_request("GET", "/api/stream", params=params, timeout=None)
            lost_since = None
            while True:
                chunk = response.read1(65536)
                if not chunk:
                    break
                received += len(chunk)
                splitter.feed(chunk)
            splitter.close()
            return
        except (errors.ApiServerError, OSError, http.client.HTTPException) as exc:
            if isinstance(exc, (errors.ApiServerAuthError, errors.RequestNotFoundError)):
                raise
            rest.close()
            now = time.monotonic()
            lost_since = lost_since or now
            if now - lost_since > _RECONNECT_SECONDS:
                raise
            time.sleep(0.5)
            params = {"request_id": request_id, "follow": follow, "offset": received}
