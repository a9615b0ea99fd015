"""``sky api …``: the API server itself — start/stop it, see and cancel requests, log in.

``sky api status`` shows active requests by default (``-a`` adds finished ones), SkyPilot's
columns: ID, USER, NAME, CREATED, STATUS. Request ids may be abbreviated to a unique prefix.
"""

from __future__ import annotations

import sys
import time

import click

from skycore.client.cli import api_users_cmds, server_calls, tables, timefmt, ui

_STATUS_COLORS = {"PENDING": "yellow", "RUNNING": "cyan", "SUCCEEDED": "green",
                  "FAILED": "red", "CANCELLED": "yellow"}


@click.group(name="api")
def api() -> None:
    """Manage the skycore API server."""


@api.command(name="start")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback requires authentication.")
@click.option("--port", type=int, default=None, help="Port (default: the configured local "
                                                      "endpoint's, 46580).")
@click.option("--foreground", is_flag=True, default=False,
              help="Run in this terminal instead of the background.")
@click.option("--deploy", is_flag=True, default=False,
              help="Size worker pools for a shared multi-user server.")
def start(host: str, port: int | None, foreground: bool, deploy: bool) -> None:
    """Start the API server."""
    from skycore.client import sdk

    started = time.monotonic()
    url = sdk.api_start(host=host, port=port, foreground=foreground, deploy=deploy)
    if not foreground:
        click.secho(f"\u2713 skycore API server is running at {url} "
                    f"({time.monotonic() - started:.1f}s).", fg="green")


@api.command(name="stop")
def stop() -> None:
    """Stop the local API server (requests still running are marked FAILED at next start)."""
    from skycore.client import sdk

    if sdk.api_stop():
        click.secho("\u2713 skycore API server stopped.", fg="green")
    else:
        click.echo("No local API server is running.")


@api.command(name="info")
def info() -> None:
    """Show the API server's endpoint, version and the user it sees."""
    from skycore.client import sdk

    data = sdk.api_info()
    click.echo(f"Using skycore API server: {data['endpoint']}")
    click.echo(f"{ui.indent()}Status: {data['status']}, version: {data['version']}, "
               f"API version: {data['api_version']}")
    click.echo(f"{ui.indent()}Auth: {'required' if data.get('auth_required') else 'off'}")
    click.echo(f"{ui.indent(last=True)}User: {data.get('user') or '-'}")


@api.command(name="status")
@click.argument("request_ids", nargs=-1, required=False)
@click.option("--all-status", "-a", is_flag=True, default=False,
              help="Show finished requests too.")
@click.option("--all-users", "-u", is_flag=True, default=False,
              help="Show every user's requests.")
@click.option("--limit", "-l", type=int, default=None, help="Show at most this many.")
@click.option("--cluster", "-c", "cluster_name", default=None, help="Only this cluster's.")
@click.option("--verbose", "-v", is_flag=True, default=False, help="Show more columns.")
def status(request_ids: tuple[str, ...], all_status: bool, all_users: bool,
           limit: int | None, cluster_name: str | None, verbose: bool) -> None:
    """List API requests (active ones unless -a)."""
    from skycore.client import sdk

    records = sdk.api_status(list(request_ids) or None, all_status=all_status,
                             all_users=all_users, limit=limit, cluster_name=cluster_name)
    headers = ["ID", "USER", "NAME", "CREATED", "STATUS"]
    if verbose:
        headers += ["CLUSTER", "DURATION", "ENTRYPOINT"]
    rows = []
    for r in records:
        row = [r["request_id"] if verbose else r["request_id"][:8], r["user_name"], r["name"],
               timefmt.time_ago(r["created_at"]),
               ui.colored_status(r["status"], _STATUS_COLORS)]
        if verbose:
            row += [r.get("cluster_name"),
                    timefmt.duration(r.get("started_at") or r["created_at"],
                                     r.get("finished_at")),
                    r.get("entrypoint")]
        rows.append(row)
    if rows:
        click.echo(tables.format_table(headers, rows))
    else:
        click.echo("No requests." if all_status else "No active requests (-a shows all).")


@api.command(name="logs")
@click.argument("request_id", required=False)
@click.option("--server-logs", is_flag=True, default=False, help="Stream the server's own log.")
@click.option("--tail", type=int, default=-1, help="Start this many lines before the end.")
@click.option("--follow/--no-follow", default=True, help="Follow until the request finishes.")
def logs(request_id: str | None, server_logs: bool, tail: int, follow: bool) -> None:
    """Stream the log of a request (or the server's)."""
    from skycore.client import log_stream, rest

    out = sys.stdout.buffer
    try:
        if server_logs or request_id is None:
            response = rest.open_request("GET", "/api/stream", timeout=None, params={
                "server_logs": True, "follow": follow, "tail": tail})
            while chunk := response.read1(65536):
                out.write(chunk)
                out.flush()
            return
        log_stream.follow(request_id, out, follow=follow, tail=tail,
                          on_stage=lambda stage, message: click.echo(
                              f"  {message}" if stage == "NOTE" else ui.STARTING
                              + f"{stage.replace('_', ' ').capitalize()}: {message}"))
    except KeyboardInterrupt:
        click.echo("", err=True)
        sys.exit(server_calls.INTERRUPT_EXIT_CODE)


@api.command(name="cancel")
@click.argument("request_ids", nargs=-1, required=False)
@click.option("--all", "-a", "cancel_all", is_flag=True, default=False,
              help="Cancel all your active requests.")
@click.option("--all-users", "-u", is_flag=True, default=False,
              help="Cancel every user's active requests (admin).")
def cancel(request_ids: tuple[str, ...], cancel_all: bool, all_users: bool) -> None:
    """Cancel API requests (their work stops; clusters stay as they are)."""
    if not request_ids and not (cancel_all or all_users):
        raise click.UsageError("Give request id(s), or -a/--all (-u for every user).")
    from skycore.client import sdk

    cancelled = sdk.api_cancel(list(request_ids) or None, all=cancel_all, all_users=all_users)
    if cancelled:
        click.echo(f"Cancelled {ui.plural(len(cancelled), 'request')}: "
                   + ", ".join(r[:8] for r in cancelled))
    else:
        click.echo("No active request to cancel.")


@api.command(name="login")
@click.option("--endpoint", "-e", required=True, help="The API server URL, e.g. "
                                                       "http://host:46580 (user:pass@ allowed).")
@click.option("--token", default=None, help="A service-account token (sky_…).")
def login(endpoint: str, token: str | None) -> None:
    """Use a (remote) API server from now on; saved in SKY_HOME/config.yaml."""
    from skycore.client import sdk

    data = sdk.api_login(endpoint, token=token)
    click.secho(f"\u2713 Logged in to skycore API server at {endpoint} (version "
                f"{data.get('version')}).", fg="green")


@api.command(name="logout")
def logout() -> None:
    """Forget the saved endpoint and token (back to the local server)."""
    from skycore import config

    data = config.load()
    section = data.get("api_server") or {}
    if not section:
        click.echo("Not logged in to a remote API server.")
        return
    config.set_nested(("api_server",), {k: v for k, v in section.items()
                                        if k not in ("endpoint", "token")})
    click.secho("\u2713 Logged out; using the local API server.", fg="green")


api.add_command(api_users_cmds.users)
api.add_command(api_users_cmds.tokens)
