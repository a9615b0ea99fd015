"""Job commands on a cluster: ``queue``, ``logs``, ``cancel``.

They mirror SkyPilot's output (the job table, ``Job 3: RUNNING`` for ``logs --status``) and its
exit codes (see :mod:`job_output`), because scripts and CI pipelines are written against them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from skycore.client.cli import cluster_select, follow, job_output, server_calls, tables, timefmt, ui


# ----------------------------------------------------------------------------- queue
def format_job_queue(jobs: Sequence[dict[str, Any]], *, now: float | None = None) -> str:
    """SkyPilot's job table: ID NAME USER SUBMITTED STARTED DURATION RESOURCES STATUS LOG."""
    rows = []
    for job in jobs:
        start = job.get("start_at")
        rows.append([
            job.get("job_id"),
            job.get("name") or "-",
            job.get("username") or "-",
            timefmt.time_ago(job.get("submitted_at"), now=now),
            timefmt.time_ago(start, now=now),
            timefmt.duration(start, job.get("end_at"), now=now),
            job.get("resources") or "-",
            ui.colored_status(job.get("status"), ui.JOB_STATUS_COLORS),
            job.get("log_dir") or "-",
        ])
    return tables.format_table(["ID", "NAME", "USER", "SUBMITTED", "STARTED", "DURATION",
                                "RESOURCES", "STATUS", "LOG"], rows)


@click.command(name="queue")
@click.argument("clusters", nargs=-1, required=False, type=str)
@click.option("--skip-finished", "-s", is_flag=True, default=False,
              help="Show only pending/running jobs' information.")
@click.option("--all-users", "-u", is_flag=True, default=False,
              help="Show all users' information in full.")
def queue(clusters: tuple[str, ...], skip_finished: bool, all_users: bool) -> None:
    """Show the job queue for cluster(s).

    With no CLUSTERS, shows the queues of all your clusters that are not
    stopped. Cluster names may be glob patterns.
    """
    from skycore.client import sdk

    click.secho("Fetching and parsing job queue...", fg="cyan")
    explicit = bool(clusters)
    if not clusters:
        names = [r["name"] for r in sdk.get(sdk.status(all_users=all_users))
                 if r.get("status") != "STOPPED"]
    elif any(cluster_select.is_glob(c) for c in clusters):
        known = [r["name"] for r in sdk.get(sdk.status(all_users=True))]
        names, unmatched = cluster_select.match_names(clusters, known)
        for pattern in unmatched:
            click.echo(f"Cluster {pattern} not found.")
    else:
        names = list(dict.fromkeys(clusters))
    if not names:
        if not explicit:
            click.echo("No existing clusters.")
        return
    click.echo(f"Fetching job queue for: {', '.join(names)}")

    not_exists = ui.sky_error_class("ClusterDoesNotExistError")
    not_supported = ui.sky_error_class("NotSupportedError")
    unsupported: list[str] = []
    user_str = "all users" if all_users else "current user"
    for name in names:
        try:
            jobs = sdk.get(sdk.queue(name, skip_finished=skip_finished, all_users=all_users))
        except not_exists:
            if explicit:
                raise
            continue  # vanished between listing and querying
        except Exception as exc:
            if not ui.is_sky_error(exc):
                raise
            if not_supported and isinstance(exc, not_supported):
                unsupported.append(name)
            click.echo(click.style(f"Failed to get the job queue for cluster {name!r}.",
                                   fg="yellow") + f"\n  {ui.error_text(exc)}")
            continue
        click.echo(f"\nJob queue of {user_str} on cluster {name}")
        click.echo(format_job_queue(jobs))  # an empty queue shows just the header, as SkyPilot
    if unsupported:
        click.secho(f"Note: Job queues are not supported on clusters: {', '.join(unsupported)}",
                    fg="yellow")


# ----------------------------------------------------------------------------- logs
def _parse_job_id(text: str) -> int:
    if not text.isdigit():
        raise click.UsageError(f"Invalid job ID {text}. Job ID must be integers.")
    return int(text)


@click.command(name="logs")
@click.argument("cluster", required=True, type=str)
@click.argument("job_ids", nargs=-1, type=str)
@click.option("--status", "status_only", is_flag=True, default=False,
              help="If specified, do not show logs but exit with a status code for the job's "
                   "status: 0 for succeeded, 100 failed, 101 not finished, 102 not found, "
                   "103 cancelled.")
@click.option("--follow/--no-follow", "follow_logs", default=True,
              help="Follow the logs of a job. If --no-follow is specified, print the log so far "
                   "and exit. [default: --follow]")
def logs(cluster: str, job_ids: tuple[str, ...], status_only: bool, follow_logs: bool) -> None:
    """Tail the log of a job.

    If JOB_ID is not provided, the latest job on the cluster will be used.

    1. If no flags are provided, tail the logs of the job_id specified. At most
    one job_id can be provided.

    2. If ``--status`` is specified, print the status of the job and exit with
    returncode 0 if the job succeeded. At most one job_id can be specified.
    Other possible return codes:

    \b
    - 100: job failed.
    - 101: job not finished.
    - 102: job not found.
    - 103: job was cancelled by the user.

    3. If the job fails or fetching the logs fails, the command will exit with
    a non-zero return code.
    """
    if len(job_ids) > 1:
        raise click.UsageError(f"Cannot stream logs of multiple jobs (IDs: {', '.join(job_ids)}).")
    job_id = _parse_job_id(job_ids[0]) if job_ids else None

    from skycore.client import sdk

    if status_only:
        statuses = sdk.get(sdk.job_status(cluster, [job_id] if job_id is not None else None)) or {}
        found_id, found_status = next(iter(statuses.items()), (job_id, None))
        if found_id is None:
            click.secho(f"No job found on cluster {cluster!r}.", fg="red")
            sys.exit(job_output.NOT_FOUND)
        click.echo(f"Job {found_id}: {found_status if found_status is not None else 'None'}")
        if found_status is None:
            click.secho(f"Job {found_id} not found", fg="red")
        sys.exit(job_output.exit_code_for_status(found_status))

    job_str = "the last job" if job_id is None else f"job {job_id}"
    click.secho(f"Tailing logs of {job_str} on cluster {cluster!r}...", fg="yellow")
    sys.stdout.flush()
    out = getattr(sys.stdout, "buffer", None)
    request_id = sdk.tail_logs(cluster, job_id, follow=follow_logs,
                               entrypoint=server_calls.entrypoint())
    try:
        code = server_calls.stream(request_id, output=out)
    except KeyboardInterrupt:
        server_calls.cancel_quietly(request_id)  # only a viewer: the job itself goes on
        follow.exit_job_still_running(cluster, job_id)
    code = int(code or 0)
    if follow_logs:
        job_output.echo_job_finished(cluster, job_id, code)
    sys.exit(code)


# ----------------------------------------------------------------------------- cancel
@click.command(name="cancel")
@click.argument("cluster", required=True, type=str)
@click.argument("jobs", nargs=-1, type=int, required=False)
@click.option("--all", "-a", "cancel_all", is_flag=True, default=False,
              help="Cancel all jobs from current user on the specified cluster.")
@click.option("--yes", "-y", is_flag=True, default=False, help="Skip confirmation prompt.")
def cancel(cluster: str, jobs: tuple[int, ...], cancel_all: bool, yes: bool) -> None:
    """Cancel job(s).

    \b
    Example usage:
      sky cancel cluster_name 1          # cancel a specific job
      sky cancel cluster_name 1 2 3      # cancel several jobs
      sky cancel cluster_name -a         # cancel all your jobs on a cluster
      sky cancel cluster_name            # cancel the latest running job
      sky cancel "cluster-glob*" -a      # all your jobs on all matching clusters

    Job IDs can be looked up by ``sky queue cluster_name``. Cluster names support
    glob patterns (e.g., px* matches px1, px2).
    """
    from skycore.client import sdk

    if cluster_select.is_glob(cluster):
        known = [r["name"] for r in sdk.get(sdk.status(all_users=True))]
        clusters, _ = cluster_select.match_names([cluster], known)
    else:
        clusters = [cluster]
    if not clusters:
        raise click.UsageError(f"No clusters match pattern: {cluster!r}")
    if len(clusters) > 1 and jobs:
        raise click.UsageError("Cannot specify job IDs when cluster pattern matches multiple "
                               f"clusters. Pattern {cluster!r} matches: {', '.join(clusters)}")

    job_ids: list[int] | None = None
    if not jobs and not cancel_all:
        click.secho("No job IDs or --all provided; cancelling the latest running job.",
                    fg="yellow")
        identity = "the latest running job"
    else:
        identity = "all your jobs" if cancel_all else ""
        if jobs:
            plural = "s" if len(jobs) > 1 else ""
            connector = " and " if identity else ""
            identity += f"{connector}job{plural} {' '.join(map(str, jobs))}"
            job_ids = list(jobs)
    identity += f" on cluster(s): {', '.join(clusters)}"
    if not yes:
        ui.confirm(f"Cancelling {identity}. Proceed?")

    for name in clusters:
        cancelled = sdk.get(sdk.cancel(name, job_ids, all_jobs=cancel_all)) or []
        if cancelled:
            click.echo(f"Cancelled job ID(s): {', '.join(map(str, cancelled))}")
        else:
            click.echo("No jobs cancelled. They may be in terminal states.")
