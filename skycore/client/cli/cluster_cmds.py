"""Cluster lifecycle commands: ``status``, ``stop``, ``start``, ``down``, ``autostop``.

The table layout, prompts (``Terminating 2 clusters: a, b. Proceed? [Y/n]``), per-cluster
``...done.`` lines and summaries follow SkyPilot so its users feel at home. Each operation runs
cluster by cluster and keeps going after a failure; the command exits 1 if any cluster failed, so
scripts can tell.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from skycore.client.cli import cluster_select, progress, server_calls, tables, timefmt, ui

_CLUSTER_NUM_ERROR = ("{cluster_num} cluster{plural} {verb}. Please specify {cause} cluster to "
                      "show its IP address.\nUsage: `sky status --ip <cluster>`")


# ----------------------------------------------------------------------------- status table
def _autostop_cell(record: dict[str, Any]) -> str:
    minutes = record.get("autostop")
    text = ""
    if minutes is not None and minutes >= 0:
        text = f"{int(minutes) if float(minutes).is_integer() else minutes}m"
    if record.get("to_down"):
        text = f"{text} (down)" if text else "(down)"
    return text or "-"


def _price_cell(record: dict[str, Any]) -> str:
    price = record.get("hourly_price")
    if price is None:
        return "-"
    return f"$ {float(price):.3f}"


def format_status_table(records: Sequence[dict[str, Any]], *, show_all: bool = False,
                        show_user: bool = False, now: float | None = None) -> str:
    """The ``Clusters`` table of ``sky status`` (``show_all`` adds HEAD_IP/HOURLY_PRICE/COMMAND)."""
    columns: list[tuple[str, Callable[[dict[str, Any]], object]]] = [("NAME", lambda r: r["name"])]
    if show_user or show_all:
        columns.append(("USER", lambda r: r.get("user") or "-"))
    columns += [
        ("INFRA", lambda r: r.get("infra") or "-"),
        ("RESOURCES", lambda r: r.get("resources_str") or "-"),
        ("STATUS", lambda r: ui.colored_status(r.get("status"), ui.CLUSTER_STATUS_COLORS)),
        ("AUTOSTOP", _autostop_cell),
        ("LAUNCHED", lambda r: timefmt.time_ago(r.get("launched_at"), now=now)),
    ]
    if show_all:
        columns += [
            ("HEAD_IP", lambda r: r.get("head_ip") or "-"),
            ("HOURLY_PRICE", _price_cell),
            ("COMMAND", lambda r: r.get("last_use") or "-"),
        ]
    return tables.format_table([name for name, _ in columns],
                               [[fn(r) for _, fn in columns] for r in records])


def _pending_autostop(record: dict[str, Any]) -> bool:
    minutes = record.get("autostop")
    return minutes is not None and minutes >= 0 and record.get("status") != "STOPPED"


def _query(clusters: Sequence[str], *, refresh: bool, all_users: bool) -> list[dict[str, Any]]:
    """Status records for the arguments of ``sky status`` (glob patterns allowed)."""
    from skycore.client import sdk

    if not clusters:
        return list(sdk.get(sdk.status(None, refresh=refresh, all_users=all_users)))
    if any(cluster_select.is_glob(c) for c in clusters):
        records = list(sdk.get(sdk.status(None, refresh=refresh, all_users=True)))
        by_name = {r["name"]: r for r in records}
        matched, _ = cluster_select.match_names(clusters, list(by_name))
        return [by_name[n] for n in matched]
    # Explicit names may be other users' clusters; the SDK looks them up by name.
    return list(sdk.get(sdk.status(list(clusters), refresh=refresh, all_users=True)))


def _not_found_line(queried: Sequence[str], records: Sequence[dict[str, Any]]) -> str | None:
    _, unmatched = cluster_select.match_names(queried, [r["name"] for r in records])
    if not unmatched:
        return None
    missing = [repr(q) for q in unmatched]
    return f"Cluster{'s' if len(missing) > 1 else ''} {', '.join(missing)} not found."


def _show_ip(clusters: Sequence[str]) -> None:
    if len(clusters) != 1:
        plural = "s" if len(clusters) > 1 else ""
        raise click.UsageError(_CLUSTER_NUM_ERROR.format(
            cluster_num=str(len(clusters)) if clusters else "No", plural=plural,
            verb="specified", cause="a single" if len(clusters) > 1 else "an existing"))
    records = _query(clusters, refresh=False, all_users=True)
    if len(records) != 1:
        num = str(len(records)) if records else repr(clusters[0])
        verb = "found" if records else "not found"
        click.secho(_CLUSTER_NUM_ERROR.format(cluster_num=num, plural="s" if len(records) > 1
                                              else "", verb=verb, cause="a single"),
                    fg="red", err=True)
        sys.exit(1)
    record = records[0]
    if record.get("status") != "UP" or not record.get("head_ip"):
        click.secho(f"Cluster {record['name']!r} is not in UP status.", fg="red", err=True)
        sys.exit(1)
    click.echo(record["head_ip"])


@click.command(name="status")
@click.argument("clusters", nargs=-1, required=False, type=str)
@click.option("--all", "-a", "--verbose", "-v", "show_all", is_flag=True, default=False,
              help="Show all information in full (user, head IP, hourly price, command).")
@click.option("--refresh", "-r", is_flag=True, default=False,
              help="Query the latest cluster statuses from the cloud provider(s).")
@click.option("--ip", is_flag=True, default=False,
              help="Get the IP address of the head node of a cluster. This option will override "
                   "all other options.")
@click.option("--all-users", "-u", is_flag=True, default=False,
              help="Show all clusters, including those not owned by the current user.")
def status(clusters: tuple[str, ...], show_all: bool, refresh: bool, ip: bool,
           all_users: bool) -> None:
    """Show clusters.

    If CLUSTERS is given, show those clusters (glob patterns allowed). Otherwise,
    show all clusters of the current user.

    If --ip is specified, show the IP address of the head node of the cluster.
    Only available when CLUSTERS contains exactly one cluster, e.g.
    ``sky status --ip mycluster``.

    \b
    Each cluster can have one of the following statuses:
    - INIT: provisioning is ongoing, or the cluster is in an abnormal state
      (some nodes down, runtime unhealthy); `sky launch` it again to repair it.
    - UP: provisioning and runtime setup have succeeded; the cluster is live.
    - STOPPED: the cluster is stopped and its disks are kept; `sky start` it.
    - AUTOSTOPPING: the cluster is being stopped (or downed) by autostop.

    The AUTOSTOP column shows after how many idle minutes the cluster is
    autostopped ('-' means disabled); '(down)' means it is torn down instead.
    Use --refresh for the latest statuses of clusters changed outside skycore
    or with autostop set.
    """
    if ip:
        if refresh:
            raise click.UsageError("Using --ip with --refresh is not supported for now. To fix, "
                                   "refresh first, then query the IP.")
        _show_ip(clusters)
        return
    if refresh:
        with progress.transient_spinner("Refreshing cluster statuses..."):
            records = _query(clusters, refresh=True, all_users=all_users)
    else:
        records = _query(clusters, refresh=False, all_users=all_users)

    click.echo(ui.heading("Clusters"))
    if records:
        click.echo(format_status_table(records, show_all=show_all, show_user=all_users))
    missing = _not_found_line(clusters, records) if clusters else None
    if missing:
        click.echo(missing)
    elif not records:
        click.echo("No existing clusters.")

    pending = sum(1 for r in records if _pending_autostop(r))
    if pending and not refresh:
        has = "s have" if pending > 1 else " has"
        click.echo(f"\n* {pending} cluster{has} auto{{stop,down}} scheduled. Refresh statuses "
                   f"with: {ui.bold('sky status --refresh')}")


# ----------------------------------------------------------------------------- operations
def _run_on_clusters(names: Sequence[str], operation: str,
                     action: Callable[[str], str | None], *, down_hint: bool = False) -> None:
    """Runs ``action`` per cluster; prints ``...done.``/``...failed.`` lines and a summary.

    ``action`` returns an optional extra message shown under the success line. A SkyError of one
    cluster does not stop the others; any failure makes the command exit 1 at the end.
    """
    successes: list[str] = []
    failures: list[tuple[str, str]] = []
    for name in names:
        try:
            with progress.transient_spinner(f"{operation} cluster {name}..."):
                extra = action(name)
        except Exception as exc:
            if not ui.is_sky_error(exc):
                raise
            if ui.debug_enabled():
                ui.print_error(exc)
            failures.append((name, str(exc)))
            click.echo(click.style(f"{operation} cluster {name}...failed.", fg="red")
                       + f"\nReason: {ui.error_text(exc)}")
            continue
        successes.append(name)
        click.echo(click.style(f"{operation} cluster {name}...done.", fg="green")
                   + (f"\n{extra}" if extra else ""))

    if len(names) > 1:
        click.echo("\nSummary:")
        if successes:
            click.echo(f"  {ui.DONE}Succeeded: " + ", ".join(successes))
        if failures:
            if len(failures) == 1:
                name, reason = failures[0]
                click.echo(f"  {ui.FAILED}Failed: {name} ({_first_line(reason)})")
            else:
                click.echo(f"  {ui.FAILED}Failed:")
                for name, reason in failures:
                    click.echo(f"      {name} ({_first_line(reason)})")
    if failures:
        message = "Cluster(s) failed. See details above."
        if down_hint:
            message += (" If you want to ignore the errors and remove the cluster(s) from the "
                        "status table, use `sky down --purge`.")
        click.echo(message)
        sys.exit(1)


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    first = lines[0] if lines else ""
    return first if len(first) <= 120 else first[:120] + "…"


def _confirm_clusters(operation: str, names: Sequence[str], yes: bool) -> None:
    if yes:
        return
    noun = "clusters" if len(names) > 1 else "cluster"
    ui.confirm(f"{operation} {len(names)} {noun}: {', '.join(names)}. Proceed?")


def _selected(clusters: Sequence[str], apply_to_all: bool, command: str,
              skip_status: Sequence[str] = ()) -> list[str]:
    records = cluster_select.resolve(clusters, apply_to_all=apply_to_all, command=command,
                                     skip_status=skip_status)
    names = [r["name"] for r in records]
    if not names:
        click.echo("Cluster(s) not found (tip: see `sky status`).")
    return names


_ALL_HELP = {"stop": "Stop all existing clusters.", "down": "Tear down all existing clusters.",
             "autostop": "Autostop all existing clusters.", "start": "Start all existing clusters."}


def _all_option(command: str) -> Callable[[Any], Any]:
    return click.option("--all", "-a", "apply_to_all", is_flag=True, default=False,
                        help=_ALL_HELP[command])


_YES_OPTION = click.option("--yes", "-y", is_flag=True, default=False,
                           help="Skip confirmation prompt.")


@click.command(name="stop")
@click.argument("clusters", nargs=-1, required=False, type=str)
@_all_option("stop")
@_YES_OPTION
def stop(clusters: tuple[str, ...], apply_to_all: bool, yes: bool) -> None:
    """Stop cluster(s).

    CLUSTER is the name (or glob pattern) of the cluster to stop. If both
    CLUSTER and ``--all`` are supplied, the latter takes precedence.

    Data on attached disks is not lost when a cluster is stopped. Billing for
    the instances will stop, while the disks will still be charged.

    \b
    Examples:
      sky stop cluster_name        # stop a specific cluster
      sky stop cluster1 cluster2   # stop multiple clusters
      sky stop "cluster*"          # stop all clusters matching a glob
      sky stop -a                  # stop all existing clusters
    """
    names = _selected(clusters, apply_to_all, "stop", skip_status=("STOPPED",))
    if not names:
        return
    _confirm_clusters("Stopping", names, yes)
    from skycore.client import sdk

    def action(name: str) -> str:
        sdk.get(sdk.stop(name))
        return f"  To restart the cluster, run: {ui.bold(f'sky start {name}')}"

    _run_on_clusters(names, "Stopping", action)


@click.command(name="down")
@click.argument("clusters", nargs=-1, required=False, type=str)
@_all_option("down")
@_YES_OPTION
@click.option("--purge", "-p", is_flag=True, default=False,
              help="(Advanced) Forcefully remove the cluster(s) from skycore's cluster table, "
                   "even if the actual cluster termination failed on the cloud. WARNING: with "
                   "it set, it is the user's responsibility to ensure there are no leaked "
                   "instances and related resources.")
def down(clusters: tuple[str, ...], apply_to_all: bool, yes: bool, purge: bool) -> None:
    """Tear down cluster(s).

    CLUSTER is the name of the cluster (or glob pattern) to tear down. If both
    CLUSTER and ``--all`` are supplied, the latter takes precedence.

    Tearing down a cluster will delete all associated resources (all billing
    stops), and any data on the attached disks will be lost.

    \b
    Examples:
      sky down cluster_name        # tear down a specific cluster
      sky down cluster1 cluster2   # tear down multiple clusters
      sky down "cluster*"          # tear down all clusters matching a glob
      sky down -a                  # tear down all existing clusters
    """
    names = _selected(clusters, apply_to_all, "down")
    if not names:
        return
    _confirm_clusters("Terminating", names, yes)
    from skycore.client import sdk

    def action(name: str) -> None:
        sdk.get(sdk.down(name, purge=purge))

    _run_on_clusters(names, "Terminating", action, down_hint=not purge)


@click.command(name="autostop")
@click.argument("clusters", nargs=-1, required=False, type=str)
@_all_option("autostop")
@click.option("--idle-minutes", "-i", type=int, default=None,
              help="Set the idle minutes before autostopping the cluster (default 5).")
@click.option("--cancel", is_flag=True, default=False,
              help="Cancel any currently active auto{stop,down} setting for the cluster. No-op "
                   "if there is no active setting.")
@click.option("--down", is_flag=True, default=False,
              help="Use autodown (tear down the cluster; non-restartable), instead of autostop "
                   "(restartable).")
@_YES_OPTION
def autostop(clusters: tuple[str, ...], apply_to_all: bool, idle_minutes: int | None,
             cancel: bool, down: bool, yes: bool) -> None:
    """Schedule an autostop or autodown for cluster(s).

    Autostop/autodown will automatically stop or teardown a cluster when it
    becomes idle for a specified duration. CLUSTERS are the names (or glob
    patterns) of the clusters.

    Idleness time of a cluster is reset to zero when a job is submitted, when
    the cluster restarts, or when an autostop idle time is set.

    \b
    Typical usage:
      sky autostop cluster_name -i 60          # autostop after 60 idle minutes
      sky autostop cluster_name --cancel       # cancel autostop
      sky autostop cluster_name -i 60 --down   # autodown after 60 idle minutes
    """
    if cancel and idle_minutes is not None:
        raise click.UsageError("Only one of --idle-minutes and --cancel should be specified. "
                               f"cancel: {cancel}, idle_minutes: {idle_minutes}")
    if cancel:
        minutes = -1
    elif idle_minutes is None:
        minutes = 5
    else:
        minutes = 1 if idle_minutes == 0 else idle_minutes
    is_cancel = minutes < 0
    option = "{stop,down}" if is_cancel else ("down" if down else "stop")
    operation = f"{'Cancelling' if is_cancel else 'Scheduling'} auto{option} on"

    names = _selected(clusters, apply_to_all, "autostop")
    if not names:
        return
    _confirm_clusters(operation, names, yes)
    from skycore.client import sdk

    def action(name: str) -> str | None:
        sdk.get(sdk.autostop(name, minutes, down=down and not is_cancel))
        if is_cancel:
            return None
        passive = "downed" if down else "stopped"
        unit = "minute" if minutes == 1 else "minutes"
        return (f"  The cluster will be auto{passive} after {minutes} {unit} of idleness.\n"
                f"  To cancel the auto{'down' if down else 'stop'}, run: "
                f"{ui.bold(f'sky autostop {name} --cancel')}")

    _run_on_clusters(names, operation, action)


@click.command(name="start")
@click.argument("clusters", nargs=-1, required=False, type=str)
@_all_option("start")
@_YES_OPTION
@click.option("--idle-minutes-to-autostop", "-i", type=int, default=None,
              help="Automatically stop the cluster after this many minutes of idleness, i.e., "
                   "no running or pending jobs in the cluster's job queue. If not set, the "
                   "cluster will not be autostopped.")
@click.option("--down", is_flag=True, default=False,
              help="Autodown the cluster: tear down the cluster after specified minutes of idle "
                   "time after all jobs finish (successfully or abnormally). Requires "
                   "--idle-minutes-to-autostop to be set.")
@click.option("--retry-until-up", "-r", is_flag=True, default=False,
              help="Retry provisioning infinitely until the cluster is up, if we fail to start "
                   "the cluster due to unavailability errors.")
def start(clusters: tuple[str, ...], apply_to_all: bool, yes: bool,
          idle_minutes_to_autostop: int | None, down: bool, retry_until_up: bool) -> None:
    """Restart cluster(s).

    If a cluster is previously stopped (status is STOPPED) or failed in
    provisioning/runtime installation (status is INIT), this command will
    attempt to start the cluster. In the latter case, provisioning and runtime
    installation will be retried.

    Auto-failover provisioning is not used when restarting a stopped cluster.
    It will be started on the same cloud, region, and zone that were chosen
    before. If a cluster is already in the UP status, this command has no effect.

    \b
    Examples:
      sky start cluster_name        # restart a specific cluster
      sky start cluster1 cluster2   # restart multiple clusters
      sky start -a                  # restart all clusters
    """
    if down and idle_minutes_to_autostop is None:
        raise click.UsageError("--idle-minutes-to-autostop must be set if --down is set.")
    from skycore.client import sdk

    if not clusters and not apply_to_all:
        # UX (as SkyPilot): with a single cluster, `sky start` means that one.
        records = list(sdk.get(sdk.status()))
        if len(records) > 1:
            raise click.UsageError("`sky start` requires either a cluster name or glob (see "
                                   "`sky status`), or the -a/--all flag.")
    else:
        records = cluster_select.resolve(clusters, apply_to_all=apply_to_all, command="start")
    if not records:
        click.echo("Cluster(s) not found (tip: see `sky status`). Do you mean to use `sky "
                   "launch` to provision a new cluster?")
        return
    to_start = []
    for record in records:
        if record.get("status") == "UP":
            click.echo(f"Cluster {record['name']} already has status UP.")
        else:
            to_start.append(record["name"])
    if not to_start:
        return
    if not yes:
        noun = "clusters" if len(to_start) > 1 else "cluster"
        ui.confirm(f"Restarting {len(to_start)} {noun}: {', '.join(to_start)}. Proceed?")

    idle = idle_minutes_to_autostop
    if idle == 0:
        idle = 1
    failed = False
    for name in to_start:
        try:
            with progress.StageProgress() as stages:
                request_id = sdk.start(name, idle_minutes=idle, down=down,
                                       retry_until_up=retry_until_up)
                server_calls.stream(request_id, stages)
        except Exception as exc:
            if not ui.is_sky_error(exc):
                raise
            ui.print_error(exc)
            failed = True
            continue
        click.secho(f"Cluster {name} started.", fg="green")
    if failed:
        sys.exit(1)
