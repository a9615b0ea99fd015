"""How the CLI waits on API requests: stream the log, return the result, and make Ctrl+C mean
"stop watching", never "stop the work".

After an interrupt the request keeps running in the server, so the CLI says how to reattach
(``sky api logs ID``) or cancel (``sky api cancel ID``) — SkyPilot's wording — and exits 130.
Requests that only *watch* something (``sky logs``) are cancelled instead: leaving a log
follower running on the server would help no one.
"""

from __future__ import annotations

import sys
from typing import IO, Any

import click

INTERRUPT_EXIT_CODE = 130


def entrypoint() -> str:
    """The command line, stored on the request for ``sky api status``."""
    import shlex

    return "sky " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def stream(request_id: str, stages: Any = None, *, output: IO[bytes] | None = None) -> Any:
    """Follow the request's log (stage events to ``stages``) and return its result."""
    from skycore.client import sdk

    if output is None:
        output = stages.sink() if stages is not None else getattr(sys.stdout, "buffer", None)
    return sdk.stream_and_get(request_id, output=output, on_stage=stages)


def echo_request_continues(request_id: str) -> None:
    """SkyPilot's detach message: the request goes on; how to watch or cancel it."""
    short = request_id[:8]
    click.echo("", err=True)
    click.secho("\u2699\ufe0e Request will continue running asynchronously.", fg="yellow",
                err=True)
    click.echo(f"\u251c\u2500\u2500 View logs: sky api logs {short}", err=True)
    click.echo(f"\u2514\u2500\u2500 To cancel the request, run: sky api cancel {short}", err=True)


def cancel_quietly(request_id: str) -> None:
    from skycore.client import sdk

    try:
        sdk.api_cancel([request_id])
    except (Exception, KeyboardInterrupt):  # noqa: BLE001 - best effort on the way out
        pass
