"""The ``sky`` entry point: the click group, its commands, and error handling.

Startup is the constraint that shapes this file: ``sky --help`` must answer in well under 0.15 s,
so importing it loads only click and :mod:`ui`. Command modules are imported when their command
runs, and every command imports the SDK (and through it pydantic, YAML, the database, plugins)
inside its body, on use.

Errors: a ``SkyError`` is the user's problem, not a bug, so it is printed as one red paragraph on
stderr without a traceback (``SKYCORE_DEBUG=1`` shows it) and the command exits 1. Usage errors
exit 2 (click). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from skycore.client.cli import ui

_CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# name -> (module under skycore.client.cli, attribute, one-line help shown by `sky --help`).
# Listed in SkyPilot's order. The one-line help is repeated here so that `sky --help` does not
# import a single command module; tests check it matches each command's docstring.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "launch": ("launch_cmds", "launch", "Launch a cluster or task."),
    "exec": ("launch_cmds", "exec_", "Execute a task or command on an existing cluster."),
    "status": ("cluster_cmds", "status", "Show clusters."),
    "queue": ("job_cmds", "queue", "Show the job queue for cluster(s)."),
    "logs": ("job_cmds", "logs", "Tail the log of a job."),
    "cancel": ("job_cmds", "cancel", "Cancel job(s)."),
    "stop": ("cluster_cmds", "stop", "Stop cluster(s)."),
    "start": ("cluster_cmds", "start", "Restart cluster(s)."),
    "down": ("cluster_cmds", "down", "Tear down cluster(s)."),
    "autostop": ("cluster_cmds", "autostop", "Schedule an autostop or autodown for cluster(s)."),
    "check": ("info_cmds", "check", "Check which clouds are available to use."),
    "gpus": ("gpus_cmds", "gpus", "Commands for querying GPUs and other accelerators."),
    "show-gpus": ("gpus_cmds", "show_gpus", "Show supported GPU/TPU/accelerators and prices."),
    "plugins": ("info_cmds", "plugins", "List installed skycore plugins."),
    "api": ("api_cmds", "api", "Manage the skycore API server."),
}


def load_command(name: str) -> click.Command:
    """Imports the module of command ``name`` and returns its click command."""
    module_name, attribute, _ = COMMANDS[name]
    module = importlib.import_module(f"skycore.client.cli.{module_name}")
    command: click.Command = getattr(module, attribute)
    return command


class SkyGroup(click.Group):
    """A group whose commands are imported only when used, listed in SkyPilot's order.

    It also renders SkyErrors: one red paragraph on stderr and exit code 1.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        extra = [n for n, c in self.commands.items() if n not in COMMANDS and not c.hidden]
        return [*COMMANDS, *extra]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in COMMANDS:
            command = load_command(cmd_name)
            self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in COMMANDS and name not in self.commands:
                rows.append((name, COMMANDS[name][2]))
            else:
                command = self.commands[name]
                if not command.hidden:
                    rows.append((name, command.get_short_help_str(limit=80)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if not ui.is_sky_error(exc):
                raise
            ui.print_error(exc)
            ctx.exit(1)


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--version``: resolved only when asked, so the lookup never slows other commands."""
    if not value or ctx.resilient_parsing:
        return
    try:
        from importlib.metadata import version

        text = version("skycore")
    except Exception:
        import skycore

        text = getattr(skycore, "__version__", "unknown")
    click.echo(f"skycore, version {text}")
    ctx.exit()


@click.group(cls=SkyGroup, context_settings=_CONTEXT_SETTINGS)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version, help="Show the version and exit.")
def cli() -> None:
    """skycore: run AI and batch workloads on any infrastructure.

    A SkyPilot-compatible CLI: the same task YAML, commands and flags.
    """


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point (``sky = skycore.client.cli.main:main``)."""
    return cli.main(args=argv, prog_name="sky")


if __name__ == "__main__":  # python -m skycore.client.cli.main
    sys.exit(main())
