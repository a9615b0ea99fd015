"""Introspection commands: ``sky check`` (which infra is usable) and ``sky plugins``.

``sky plugins`` is skycore's own: every cloud is a plugin, so users need one place to see which
plugins were found, which are broken and why (a broken plugin never breaks the CLI, it is listed
with its error instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from skycore.client.cli import progress, tables, ui

_PLUGIN_STATUS_COLORS = {"loaded": "green", "ok": "green", "active": "green", "broken": "red",
                         "error": "red", "failed": "red", "disabled": "yellow"}


@click.command(name="check")
@click.argument("clouds", nargs=-1, required=False, type=str)
def check(clouds: tuple[str, ...]) -> None:
    """Check which clouds are available to use.

    This checks access credentials for all clouds provided by installed plugins.
    If a cloud is detected to be inaccessible, the reason and correction steps
    will be shown.

    If CLOUDS are specified, checks credentials for only those clouds.

    \b
    Examples:
      sky check            # check all clouds
      sky check aws gcp    # check only AWS and GCP
    """
    from skycore.client import sdk

    click.echo("Checking credentials to enable infra for skycore.")
    with progress.transient_spinner("Checking credentials..."):
        results: dict[str, Any] = sdk.get(sdk.check(list(clouds) or None))
    enabled = []
    for cloud, outcome in results.items():
        ok, reason = _outcome(outcome)
        if ok:
            enabled.append(cloud)
            line = f"  {cloud}: {click.style('enabled', fg='green')}"
            if reason:
                line += " " + ui.dim(f"[{reason}]")
            click.echo(line)
        else:
            click.echo(f"  {cloud}: {ui.dim('disabled')}")
            if reason:
                for i, text in enumerate(str(reason).strip().splitlines()):
                    click.echo(("    Reason: " if i == 0 else "    ") + ui.dim(text))
    click.echo()
    if enabled:
        click.echo(ui.heading("🎉 Enabled infra 🎉"))
        for cloud in enabled:
            click.echo(f"  {cloud}")
    else:
        click.secho("No infra is enabled.", fg="yellow")
    if len(enabled) < len(results):
        click.echo(f"\nTo enable a cloud, follow the hints above and rerun: {ui.bold('sky check')}")


def _outcome(outcome: Any) -> tuple[bool, str]:
    if isinstance(outcome, (tuple, list)) and outcome:
        return bool(outcome[0]), str(outcome[1]) if len(outcome) > 1 and outcome[1] else ""
    return bool(outcome), ""


def _joined(values: Any) -> str:
    if not values:
        return "-"
    if isinstance(values, str):
        return values
    return ", ".join(str(v) for v in values)


def format_plugins_table(plugins: Sequence[Any]) -> str:
    """NAME DISTRIBUTION VERSION STATUS CLOUDS HOOKS, then the errors of broken plugins."""
    rows = []
    errors = []
    for p in plugins:
        status = str(getattr(p, "status", "") or "-")
        rows.append([
            getattr(p, "name", "-"),
            getattr(p, "distribution", None) or "-",
            getattr(p, "version", None) or "-",
            ui.colored_status(status, _PLUGIN_STATUS_COLORS),
            _joined(getattr(p, "clouds", ())),
            _joined(getattr(p, "hooks", ())),
        ])
        error = getattr(p, "error", None)
        if error:
            errors.append((getattr(p, "name", "?"), str(error)))
    text = tables.format_table(["NAME", "DISTRIBUTION", "VERSION", "STATUS", "CLOUDS", "HOOKS"],
                               rows)
    if errors:
        text += "\n\n" + click.style("Broken plugins:", fg="red", bold=True)
        for name, error in errors:
            lines = error.strip().splitlines() or [""]
            text += f"\n  {name}: {lines[0]}"
            text += "".join(f"\n    {line}" for line in lines[1:])
    return text


@click.command(name="plugins")
def plugins() -> None:
    """List installed skycore plugins.

    Shows each plugin's clouds, catalogs, provisioners and stores.

    Plugins are found through the ``skycore`` entry-point group. A plugin that
    fails to load is shown as broken, with its error, instead of breaking the CLI.
    """
    from skycore.client import sdk

    infos = list(sdk.get(sdk.plugins()))
    click.echo(ui.heading("Plugins"))
    if not infos:
        click.echo("No plugins installed.")
        return
    click.echo(format_plugins_table(infos))
