"""What Ctrl+C means while ``launch``, ``exec`` or ``logs`` stream a job's logs.

Streaming is only a view: the job keeps running on the cluster. So an interrupt must not look like
a crash (no traceback, no "Aborted!") but say how to get the view back, and exit with the shell's
conventional code for SIGINT, 130.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

INTERRUPT_EXIT_CODE = 130


def latest_job_id(cluster: str) -> int | None:
    """The newest job on ``cluster`` (when an interrupt came before we learnt its id)."""
    try:
        from skycore.client import sdk

        statuses: dict[Any, Any] = sdk.get(sdk.job_status(cluster, None)) or {}
        ids = [int(k) for k in statuses if k is not None]
        return max(ids) if ids else None
    except (Exception, KeyboardInterrupt):  # best effort: we are already on the way out
        return None


def exit_job_still_running(cluster: str, job_id: int | None) -> NoReturn:
    """Prints the reattach hint and exits 130."""
    if job_id is None:
        job_id = latest_job_id(cluster)
    click.echo("", err=True)  # finish the line the terminal left after ^C
    if job_id is None:
        click.secho(f"The job is still running. To stream its logs again: sky logs {cluster}",
                    fg="yellow", err=True)
    else:
        click.secho(f"Job {job_id} is still running. To stream its logs again: "
                    f"sky logs {cluster} {job_id}", fg="yellow", err=True)
    sys.exit(INTERRUPT_EXIT_CODE)


def exit_interrupted(what: str, hint: str | None = None) -> NoReturn:
    """Ctrl+C before any job was submitted: a short note instead of a traceback; exit 130."""
    click.echo("", err=True)
    click.secho(f"Interrupted {what}.", fg="yellow", err=True)
    if hint:
        click.secho(hint, fg="yellow", err=True)
    sys.exit(INTERRUPT_EXIT_CODE)
