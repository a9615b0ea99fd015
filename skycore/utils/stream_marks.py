"""In-band stage events in a request's log.

A request's log is what its worker printed: job output and the launch pipeline's stage changes.
A stage change is one line that starts with ASCII Record Separator (never produced by a job's text
output in practice), so the client can redraw its stage spinner from a plain byte stream and a
reader of the raw log file still sees a readable line.
"""

from __future__ import annotations

STAGE_PREFIX = b"\x1eSTAGE\t"


def encode_stage(stage: str, message: str) -> bytes:
    text = " ".join(str(message or "").split())
    return STAGE_PREFIX + f"{stage}\t{text}\n".encode()


def parse_stage(line: bytes) -> tuple[str, str] | None:
    """``(stage, message)`` if ``line`` is a stage event, else ``None``."""
    if not line.startswith(STAGE_PREFIX):
        return None
    body = line[len(STAGE_PREFIX):].rstrip(b"\r\n").decode(errors="replace")
    stage, _, message = body.partition("\t")
    return stage, message
