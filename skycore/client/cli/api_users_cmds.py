"""``sky api users …`` and ``sky api tokens …``: who may use a remote API server.

Run them on the server host (loopback is trusted as an admin) to create the first users, or
remotely as an admin. A token is printed once, when it is created: the server keeps only its
hash. Use it with ``sky api login -e URL --token TOKEN`` or ``SKY_API_TOKEN``.
"""

from __future__ import annotations

import datetime

import click

from skycore.client.cli import tables, timefmt


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


@click.group(name="users")
def users() -> None:
    """Manage the API server's users (admins)."""


@users.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "user"]), default="user",
              show_default=True, help="An admin manages users and sees every request.")
@click.option("--password", default=None,
              help="The password (prompted for when omitted; leave it empty for a service "
                   "account that logs in with tokens only).")
def add(name: str, role: str, password: str | None) -> None:
    """Create a user."""
    from skycore.client import users_sdk

    if password is None:
        password = click.prompt(f"Password for {name} (empty: tokens only)", default="",
                                hide_input=True, confirmation_prompt=True,
                                show_default=False)
    users_sdk.add_user(name, password or None, role)
    click.secho(f"\u2713 Created {role} {name}.", fg="green")


@users.command(name="list")
def list_() -> None:
    """List users."""
    from skycore.client import users_sdk

    rows = [(u["name"], u["role"], "yes" if u.get("has_password") else "no (tokens only)",
             timefmt.time_ago(u["created_at"])) for u in users_sdk.list_users()]
    click.echo(tables.format_table(["NAME", "ROLE", "PASSWORD", "CREATED"], rows))


@users.command(name="delete")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, default=False, help="Skip the confirmation.")
def delete(name: str, yes: bool) -> None:
    """Delete a user and revoke their tokens."""
    from skycore.client import users_sdk

    if not yes:
        click.confirm(f"Delete user {name} and all their tokens?", default=False, abort=True)
    users_sdk.delete_user(name)
    click.secho(f"\u2713 Deleted user {name}.", fg="green")


@users.command(name="set-password")
@click.argument("name")
@click.option("--password", default=None, help="The new password (prompted for when omitted).")
def set_password(name: str, password: str | None) -> None:
    """Change a user's password (your own, or anyone's as an admin)."""
    from skycore.client import users_sdk

    if password is None:
        password = click.prompt(f"New password for {name}", hide_input=True,
                                confirmation_prompt=True)
    users_sdk.set_password(name, password)
    click.secho(f"\u2713 Password of {name} changed.", fg="green")


@users.command(name="set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(["admin", "user"]))
def set_role(name: str, role: str) -> None:
    """Make a user an admin or a plain user."""
    from skycore.client import users_sdk

    users_sdk.set_role(name, role)
    click.secho(f"\u2713 {name} is now {role}.", fg="green")


@click.group(name="tokens")
def tokens() -> None:
    """Manage service-account tokens (bearer credentials for scripts and CI)."""


@tokens.command(name="create")
@click.argument("name")
@click.option("--expires-in-days", type=float, default=None,
              help="Expire the token after this many days (default: never).")
@click.option("--user", "user_name", default=None,
              help="Owner of the token (another user's: admins only). Default: you.")
def create(name: str, expires_in_days: float | None, user_name: str | None) -> None:
    """Create a token and print it (only this once)."""
    from skycore.client import users_sdk

    record = users_sdk.create_token(name, expires_in_days=expires_in_days,
                                    user_name=user_name)
    click.secho(f"\u2713 Created token {record['token_id']} ({record['name']}) for "
                f"{record['user_name']}, expires: {_when(record.get('expires_at'))}.",
                fg="green")
    click.echo("Copy it now; it cannot be shown again:")
    click.echo(record["token"])


@tokens.command(name="list")
@click.option("--all-users", "-a", "all_users", is_flag=True, default=False,
              help="Every user's tokens (admins only).")
def list_tokens(all_users: bool) -> None:
    """List tokens (revoked ones included)."""
    from skycore.client import users_sdk

    rows = []
    for t in users_sdk.list_tokens(all_users=all_users):
        state = "revoked" if t.get("revoked_at") else "active"
        rows.append((t["token_id"], t["name"], t["user_name"], state,
                     timefmt.time_ago(t["created_at"]), _when(t.get("expires_at")),
                     timefmt.time_ago(t["last_used_at"]) if t.get("last_used_at") else "-"))
    click.echo(tables.format_table(
        ["ID", "NAME", "USER", "STATUS", "CREATED", "EXPIRES", "LAST USED"], rows))


@tokens.command(name="revoke")
@click.argument("token_id")
def revoke(token_id: str) -> None:
    """Revoke a token (your own, or anyone's as an admin)."""
    from skycore.client import users_sdk

    users_sdk.revoke_token(token_id)
    click.secho(f"\u2713 Revoked token {token_id}.", fg="green")
