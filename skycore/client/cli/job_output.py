"""Job outcomes as the CLI shows them: exit codes, the "Job finished" line and the hints.

Exit codes are SkyPilot's ``JobExitCode`` contract, which scripts rely on
(``sky logs --status`` and the exit status of ``sky launch``/``exec``/``logs``):
0 succeeded, 100 failed, 101 not finished, 102 not found, 103 cancelled.
"""

from __future__ import annotations

import click

from skycore.client.cli import ui

SUCCEEDED = 0
FAILED = 100
NOT_FINISHED = 101
NOT_FOUND = 102
CANCELLED = 103

_FAILED_STATUSES = {"FAILED", "FAILED_SETUP", "FAILED_DRIVER"}
_NOT_FINISHED_STATUSES = {"INIT", "PENDING", "SETTING_UP", "RUNNING"}
_CODE_TO_STATUS = {SUCCEEDED: "SUCCEEDED", FAILED: "FAILED", CANCELLED: "CANCELLED"}


def exit_code_for_status(status: str | None) -> int:
    """SkyPilot's ``JobExitCode.from_job_status``."""
    if status is None:
        return NOT_FOUND
    status = str(status).upper()
    if status == "SUCCEEDED":
        return SUCCEEDED
    if status == "CANCELLED":
        return CANCELLED
    if status in _NOT_FINISHED_STATUSES:
        return NOT_FINISHED
    return FAILED  # every failure flavour, and anything unknown, counts as failed


def _exact_status(cluster: str, job_id: int | None) -> str | None:
    """The precise final status (FAILED_SETUP vs FAILED ...) when the exit code is ambiguous."""
    if job_id is None:
        return None
    try:
        from skycore.client import sdk

        status = (sdk.get(sdk.job_status(cluster, [job_id])) or {}).get(job_id)
        return None if status is None else str(status)
    except Exception:  # best effort: the exit code already tells the story
        return None


def echo_job_finished(cluster: str, job_id: int | None, exit_code: int) -> None:
    """``✓ Job finished (status: SUCCEEDED).`` after a followed job ended."""
    if exit_code == NOT_FINISHED:
        return  # --no-follow on a running job: nothing has finished
    if exit_code == NOT_FOUND:
        what = f"Job {job_id}" if job_id is not None else "Job"
        click.secho(f"{ui.FAILED}{what} not found.", fg="red")
        return
    status = _CODE_TO_STATUS.get(exit_code)
    if exit_code == FAILED:
        status = _exact_status(cluster, job_id) or status
    if status is None:
        status = f"exit code {exit_code}"
    if exit_code == SUCCEEDED:
        click.secho(f"{ui.DONE}Job finished (status: {status}).", fg="green")
    elif exit_code == CANCELLED:
        click.secho(f"{ui.FAILED}Job finished (status: {status}).", fg="yellow")
    else:
        click.secho(f"{ui.FAILED}Job finished (status: {status}).", fg="red")


def _hint_lines(rows: list[tuple[str, str]]) -> list[str]:
    width = max(len(label) for label, _ in rows)
    lines = []
    for i, (label, command) in enumerate(rows):
        prefix = ui.indent(last=i == len(rows) - 1)
        lines.append(f"{prefix}{label.ljust(width)}  {ui.bold(command)}")
    return lines


def useful_commands(cluster: str, job_id: int | None) -> str:
    """SkyPilot's ``📋 Useful Commands`` block after ``sky launch`` (without ssh: no ssh here)."""
    lines = ["", "📋 Useful Commands"]
    if job_id is not None:
        lines.append(f"Job ID: {job_id}")
        lines += _hint_lines([
            ("To cancel the job:", f"sky cancel {cluster} {job_id}"),
            ("To stream job logs:", f"sky logs {cluster} {job_id}"),
            ("To view job queue:", f"sky queue {cluster}"),
        ])
    lines.append(f"Cluster name: {cluster}")
    lines += _hint_lines([
        ("To view the cluster:", f"sky status {cluster}"),
        ("To submit a job:", f"sky exec {cluster} yaml_file"),
        ("To stop the cluster:", f"sky stop {cluster}"),
        ("To teardown the cluster:", f"sky down {cluster}"),
    ])
    return "\n".join(lines)


def job_submitted_hints(cluster: str, job_id: int | None) -> str:
    """Shown by ``sky exec -d``: how to follow the job that now runs in the background."""
    if job_id is None:
        return ""
    lines = [f"Job ID: {job_id}"]
    lines += _hint_lines([
        ("To cancel the job:", f"sky cancel {cluster} {job_id}"),
        ("To stream job logs:", f"sky logs {cluster} {job_id}"),
        ("To view job queue:", f"sky queue {cluster}"),
    ])
    return "\n".join(lines)
