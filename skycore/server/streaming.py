"""Streaming a request's log (``/api/stream``): the tail, then live bytes until it finishes.

Workers write request logs straight to files; the server only reads them. Following polls the
file with a short, growing interval (10 ms up to 100 ms) so fresh output shows at once while an
idle stream costs nearly nothing, and stops when the request is final and the file is drained.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable

CHUNK = 64 * 1024


def tail_offset(path: str, lines: int) -> int:
    """Byte offset where the last ``lines`` lines of ``path`` start."""
    if lines < 0:
        return 0
    try:
        size = os.path.getsize(path)
    except OSError:
        return 0
    if lines == 0:
        return size
    with open(path, "rb") as f:
        pos, found = size, 0
        while pos > 0:
            step = min(CHUNK, pos)
            pos -= step
            f.seek(pos)
            block = f.read(step)
            if pos + step == size and block.endswith(b"\n"):
                block = block[:-1]  # the final newline does not start a line
            count = block.count(b"\n")
            if found + count >= lines:
                idx = len(block)
                for _ in range(lines - found):
                    idx = block.rindex(b"\n", 0, idx)
                return pos + idx + 1
            found += count
    return 0


async def follow_file(path: str, *, is_active: Callable[[], bool], follow: bool = True,
                      tail: int = -1, offset: int | None = None) -> AsyncIterator[bytes]:
    """Yield the file from byte ``offset`` (a client reattaching), else from ``tail`` lines
    before the end (all with -1), then new bytes while ``is_active()``; the file may not
    exist yet (the request has not started)."""
    delay = 0.01
    if offset is None:
        offset = tail_offset(path, tail) if tail >= 0 else 0
    handle = None
    try:
        while True:
            if handle is None and os.path.exists(path):
                handle = open(path, "rb")  # noqa: SIM115 - kept open across iterations
                handle.seek(offset)
            data = handle.read(CHUNK) if handle is not None else b""
            if data:
                delay = 0.01
                yield data
                continue
            if not follow or not is_active():
                if handle is not None:  # drain what the request wrote before finishing
                    rest = handle.read()
                    if rest:
                        yield rest
                return
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.1)
    finally:
        if handle is not None:
            handle.close()
